"""tlcourse.contrastive: InfoNCE against a hand computation, the pair draws, training a tiny random BERT."""

from __future__ import annotations

import math

import numpy
import pytest
import torch
import transformers
from conftest import random_bert

from tlcourse import contrastive


def test_info_nce_matches_a_hand_computation():
    a = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    b = torch.tensor([[3.0, 0.0], [1.0, 1.0]])
    # cosines: row 0 (1, 0) vs b: 1, 1/sqrt2; row 1 (0, 1) vs b: 0, 1/sqrt2; temperature 0.5
    c = 1 / math.sqrt(2)
    row0 = -2.0 + math.log(math.exp(2.0) + math.exp(2 * c))
    row1 = -2 * c + math.log(math.exp(0.0) + math.exp(2 * c))
    got = float(contrastive.info_nce(a, b, temperature=0.5))
    assert got == pytest.approx((row0 + row1) / 2, rel=1e-6)


def test_info_nce_ignores_length_and_rewards_the_right_partner():
    a = torch.randn(8, 16, generator=torch.Generator().manual_seed(0))
    scaled = a * torch.arange(1, 9).unsqueeze(1)
    assert float(contrastive.info_nce(a, scaled, temperature=0.05)) < 1e-3  # the same directions
    shuffled = float(contrastive.info_nce(a, a.roll(1, dims=0), temperature=0.05))
    assert shuffled > math.log(8)  # each row's partner is now another row: worse than guessing


def test_same_article_pairs_two_different_sentences_of_one_article():
    articles = [[f"a{k} s{i}" for i in range(5)] for k in range(6)] + [["lonely"]]
    draw = contrastive.same_article(articles)
    left, right = draw(numpy.random.default_rng(0), 6)
    assert len(left) == len(right) == 6
    assert all(x.split()[0] == y.split()[0] and x != y for x, y in zip(left, right))
    assert len({x.split()[0] for x in left}) == 6  # one pair an article: the others are negatives
    with pytest.raises(ValueError, match="needs as many articles"):
        draw(numpy.random.default_rng(0), 7)  # the one-sentence article cannot give a pair


def test_dropout_views_repeat_each_sentence():
    left, right = contrastive.dropout_views([f"s{i}" for i in range(10)])(numpy.random.default_rng(1), 4)
    assert left == right and len(set(left)) == 4


@pytest.fixture(scope="module")
def tiny_masked(tmp_path_factory):
    folder = random_bert(
        tmp_path_factory.mktemp("bert"),
        seed=0,
        masked_lm=True,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    return transformers.AutoTokenizer.from_pretrained(folder), transformers.BertForMaskedLM.from_pretrained(
        folder
    )


ARTICLES = [[f"topic {k} sentence {i} about things number {k}" for i in range(4)] for k in range(12)]


@pytest.mark.parametrize("objective", ["contrastive", "masked"])
def test_training_changes_a_copy_and_is_reproducible(tiny_masked, objective):
    tokenizer, model = tiny_masked
    before = {k: v.clone() for k, v in model.state_dict().items()}
    config = contrastive.Config(steps=3, batch_size=4, lr=1e-3)
    draw = contrastive.same_article(ARTICLES)
    trained, losses = contrastive.train(model, tokenizer, draw, config, objective=objective, seed=3)
    again, losses_again = contrastive.train(model, tokenizer, draw, config, objective=objective, seed=3)
    assert len(losses) == 3 and losses == losses_again and all(math.isfinite(x) for x in losses)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())  # the original untouched
    assert any(not torch.equal(v, trained.state_dict()[k]) for k, v in before.items())
    assert all(m.p == config.dropout for m in trained.modules() if isinstance(m, torch.nn.Dropout))
    assert not trained.training


def test_training_lowers_the_contrastive_loss(tiny_masked):
    tokenizer, model = tiny_masked
    draw = contrastive.same_article(ARTICLES)
    config = contrastive.Config(steps=40, batch_size=8, lr=3e-3)
    trained, _ = contrastive.train(model, tokenizer, draw, config, seed=0)
    before = contrastive.held_out_loss(model, tokenizer, draw, config, seed=1)
    after = contrastive.held_out_loss(trained, tokenizer, draw, config, seed=1)
    assert after < before - 0.1, (before, after)


def test_unknown_objective_is_refused(tiny_masked):
    tokenizer, model = tiny_masked
    with pytest.raises(ValueError, match="'contrastive' or 'masked'"):
        contrastive.train(model, tokenizer, contrastive.dropout_views(["a b"]), objective="clm", seed=0)


def test_document_vectors_pool_every_chunk(tiny_masked):
    tokenizer, model = tiny_masked
    long = " ".join(f"word{i}" for i in range(300))  # several 64-piece chunks
    vectors = contrastive.document_vectors(tokenizer, model.bert, ["short text", long], window=64)
    assert vectors.shape == (2, 32) and numpy.isfinite(vectors).all()
    first = contrastive.document_vectors(tokenizer, model.bert, [long], window=64)
    assert numpy.allclose(first[0], vectors[1], atol=1e-5)  # one document at a time: no padding effects
    ids = tokenizer(long, add_special_tokens=False)["input_ids"]
    head = tokenizer.decode(ids[:62])
    only_head = contrastive.document_vectors(tokenizer, model.bert, [head], window=64)
    assert not numpy.allclose(only_head[0], vectors[1], atol=1e-3)  # the later chunks count
