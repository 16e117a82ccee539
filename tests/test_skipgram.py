"""Unit tests of the hand-written skip-gram (tlcourse.skipgram) against references that are not itself."""

import numpy
import pytest
import torch

from tlcourse import skipgram


def _random_batch(seed=0, batch=6, k=4, dim=5):
    g = torch.Generator().manual_seed(seed)
    v = torch.randn(batch, dim, generator=g, dtype=torch.float64)
    u_pos = torch.randn(batch, dim, generator=g, dtype=torch.float64)
    u_neg = torch.randn(batch, k, dim, generator=g, dtype=torch.float64)
    return v, u_pos, u_neg


def test_hand_derived_gradient_matches_autograd():
    v, u_pos, u_neg = (t.requires_grad_() for t in _random_batch())
    skipgram.sgns_loss(v, u_pos, u_neg).sum().backward()
    dv, du_pos, du_neg = skipgram.sgns_gradients(v.detach(), u_pos.detach(), u_neg.detach())
    torch.testing.assert_close(dv, v.grad)
    torch.testing.assert_close(du_pos, u_pos.grad)
    torch.testing.assert_close(du_neg, u_neg.grad)


def test_vectorised_loss_matches_a_per_pair_loop():
    v, u_pos, u_neg = _random_batch(seed=1)
    expected = []
    for b in range(len(v)):
        loss = -numpy.log(1 / (1 + numpy.exp(-float(u_pos[b] @ v[b]))))
        for k in range(u_neg.shape[1]):
            loss -= numpy.log(1 / (1 + numpy.exp(float(u_neg[b, k] @ v[b]))))
        expected.append(loss)
    torch.testing.assert_close(
        skipgram.sgns_loss(v, u_pos, u_neg), torch.tensor(expected, dtype=torch.float64)
    )


def test_model_loss_at_initialisation_is_k_plus_one_log_two():
    model = skipgram.SkipGram(20, 8, generator=torch.Generator().manual_seed(0))
    losses = model(torch.tensor([0, 1]), torch.tensor([2, 3]), torch.tensor([[4, 5, 6], [7, 8, 9]]))
    torch.testing.assert_close(losses, torch.full((2,), 4 * numpy.log(2), dtype=torch.float32))


def test_sampler_frequencies_follow_the_three_quarter_power():
    counts = numpy.array([1000, 300, 100, 30, 10, 3, 1])
    sampler = skipgram.NegativeSampler(counts, power=0.75)
    draws = sampler((200_000,), torch.Generator().manual_seed(0)).numpy()
    observed = numpy.bincount(draws, minlength=len(counts)) / len(draws)
    expected = counts**0.75 / (counts**0.75).sum()
    assert numpy.abs(observed - expected).max() < 0.005
    unigram = counts / counts.sum()
    assert numpy.abs(observed - unigram).max() > 0.05  # the power really flattens the distribution


def _loop_pairs(ids, spans):
    pairs = []
    for i, b in enumerate(spans):
        for j in range(max(0, i - b), min(len(ids), i + b + 1)):
            if j != i:
                pairs.append((ids[i], ids[j]))
    return pairs


def test_vectorised_corpus_pairs_match_the_loop_sentence_by_sentence():
    rng = numpy.random.default_rng(0)
    sentences = [rng.integers(0, 50, size=n) for n in (1, 7, 0, 12, 3)]
    tokens = numpy.concatenate(sentences)
    sentence_ids = numpy.repeat(numpy.arange(len(sentences)), [len(s) for s in sentences])
    spans = rng.integers(1, 4, size=len(tokens))
    got = sorted(map(tuple, skipgram._pairs_from_spans(tokens, sentence_ids, spans).tolist()))
    expected, start = [], 0
    for s in sentences:
        expected += _loop_pairs(s.tolist(), spans[start : start + len(s)].tolist())
        start += len(s)
    assert got == sorted(expected)


def test_context_pairs_shrinking_window_distance_shares():
    pairs = numpy.concatenate(
        [skipgram.context_pairs(numpy.arange(500), 5, numpy.random.default_rng(s)) for s in range(5)]
    )
    d = numpy.abs(pairs[:, 1] - pairs[:, 0])
    share = numpy.array([(d == k).mean() for k in range(1, 6)])
    assert numpy.allclose(share, numpy.array([5, 4, 3, 2, 1]) / 15, atol=0.02)


def test_keep_probabilities_and_subsample():
    counts = numpy.array([900, 90, 9, 1])
    keep = skipgram.keep_probabilities(counts, threshold=0.01)
    assert keep[0] == pytest.approx(numpy.sqrt(0.01 / 0.9)) and keep[-1] == 1.0
    sentences = [numpy.zeros(10_000, dtype=numpy.int64)]
    kept = skipgram.subsample(sentences, keep, numpy.random.default_rng(0))
    assert len(kept[0]) / 10_000 == pytest.approx(keep[0], abs=0.02)


def test_vocabulary_encode_and_keyed_vectors():
    sentences = [["the", "cat", "sat"], ["the", "dog", "sat", "the"]]
    vocab = skipgram.build_vocabulary(sentences, min_count=2)
    assert vocab.words == ("the", "sat") and vocab.counts.tolist() == [3, 2]
    assert [s.tolist() for s in skipgram.encode(sentences, vocab)] == [[0, 1], [0, 1, 0]]
    model = skipgram.SkipGram(len(vocab), 4, generator=torch.Generator().manual_seed(0))
    kv = skipgram.to_keyed_vectors(model, vocab)
    numpy.testing.assert_allclose(kv["sat"], model.centre.weight[1].detach().numpy())


def test_training_lowers_the_loss_on_a_toy_corpus():
    rng = numpy.random.default_rng(0)
    # two topics: words 0-9 co-occur, words 10-19 co-occur
    sentences = [rng.integers(0, 10, size=12) if i % 2 else rng.integers(10, 20, size=12) for i in range(300)]
    counts = numpy.bincount(numpy.concatenate(sentences), minlength=20)
    config = skipgram.Config(dim=8, window=2, epochs=3, batch_size=256, threshold=1.0)
    model, history = skipgram.train(sentences, counts, config, seed=0, progress=False)
    assert history.losses[-1] < 0.8 * history.losses[0]
    vectors = torch.nn.functional.normalize(model.centre.weight.detach(), dim=1)
    similarity = vectors @ vectors.T
    assert similarity[:10, :10].mean() > similarity[:10, 10:].mean() + 0.2
    again, history_again = skipgram.train(sentences, counts, config, seed=0, progress=False)
    assert history_again.losses == history.losses
