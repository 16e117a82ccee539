"""The document cache: counts against a loop, a proper mixture, the bigram against lesson 04's reference."""

from __future__ import annotations

import math

import numpy

from tlcourse import cache_lm, ngram


def _docs(seed=0, n=6, vocab=12, length=300):
    rng = numpy.random.default_rng(seed)
    return [rng.integers(0, vocab, size=length) for _ in range(n)], vocab


def test_history_counts_against_a_loop():
    doc, other = numpy.array([3, 1, 3, 3, 2, 1, 3]), numpy.array([1, 1, 3])
    counts, sizes = cache_lm.history_counts(doc)
    assert counts.tolist() == [list(doc[:t]).count(doc[t]) for t in range(1, len(doc))]
    assert sizes.tolist() == list(range(1, len(doc)))
    counts, sizes = cache_lm.history_counts(doc, other)
    assert sizes.tolist() == [min(t, 3) for t in range(1, len(doc))]
    assert counts.tolist() == [list(other[: min(t, 3)]).count(doc[t]) for t in range(1, len(doc))]


def test_mix_is_a_distribution_and_the_model_alone_on_an_empty_history():
    model = numpy.array([0.5, 0.3, 0.2])
    for history in ([], [0], [2, 2, 1]):
        counts = numpy.bincount(numpy.array(history, dtype=int), minlength=3).astype(float)
        mixed = cache_lm.mix(model, counts, numpy.full(3, float(len(history))), weight=0.4)
        assert numpy.isclose(mixed.sum(), 1.0)
    assert numpy.allclose(cache_lm.mix(model, numpy.zeros(3), numpy.zeros(3), weight=0.4), model)


def test_bigram_without_cache_matches_lesson_04s_cross_entropy():
    docs, vocab = _docs()
    model = cache_lm.fit_bigram(docs[:4], vocab_size=vocab)
    previous = numpy.concatenate([d[:-1] for d in docs[:4]])
    following = numpy.concatenate([d[1:] for d in docs[:4]])
    eval_pairs = (numpy.concatenate([d[:-1] for d in docs[4:]]), numpy.concatenate([d[1:] for d in docs[4:]]))
    reference = ngram.bigram_cross_entropy(
        (previous, following), eval_pairs, vocab_size=vocab, weight=model.weight
    )
    assert math.isclose(
        math.log(cache_lm.perplexity(cache_lm.score(model, docs[4:]), weight=0.0)), reference, rel_tol=1e-9
    )


def test_cache_helps_on_repetitive_documents_and_a_foreign_cache_does_not():
    rng = numpy.random.default_rng(3)
    # each document draws 80% of its words from 5 of its own, 20% from all 50: a cache's ideal case

    def doc():
        own = rng.choice(rng.choice(50, size=5, replace=False), size=400)
        return numpy.where(rng.random(400) < 0.8, own, rng.integers(0, 50, size=400))

    docs = [doc() for _ in range(12)]
    model = cache_lm.fit_bigram(docs[:8], vocab_size=50, dev=docs[8:10])
    weight, curve = cache_lm.tune_weight(cache_lm.score(model, docs[8:10]))
    assert weight > 0 and curve[weight] == min(curve.values())
    test = cache_lm.score(model, docs[10:])
    assert cache_lm.perplexity(test, weight=weight) < 0.5 * cache_lm.perplexity(test, weight=0.0)
    control = cache_lm.score(model, docs[10:], control=True)
    assert cache_lm.perplexity(control, weight=weight) > cache_lm.perplexity(test, weight=0.0)
    assert (cache_lm.per_document(test, weight=weight) < 0).all()
    rows = cache_lm.gain_by_position(test, weight=weight, edges=(1, 100, 1000))
    assert [r["words"] for r in rows] == [2 * 99, 2 * 300]
