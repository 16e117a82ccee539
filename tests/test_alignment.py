"""Procrustes against scipy's, CSLS against a per-pair loop, self-learning on a known rotation."""

from __future__ import annotations

import numpy
import pytest
import scipy.linalg
from scipy import stats as scipy_stats

from tlcourse import alignment, stats


def _rotated(n=200, d=20, seed=0, noise=0.0):
    rng = numpy.random.default_rng(seed)
    x = alignment.unit(rng.normal(size=(n, d)), center=False)
    q, _ = numpy.linalg.qr(rng.normal(size=(d, d)))
    y = x @ q + noise * rng.normal(size=(n, d))
    return x, alignment.unit(y, center=False), q


def test_unit_rows_have_length_one_and_zero_rows_stay_zero():
    x = numpy.array([[3.0, 4.0], [0.0, 0.0], [1.0, 1.0]])
    out = alignment.unit(x, center=False)
    assert numpy.allclose(numpy.linalg.norm(out[[0, 2]], axis=1), 1) and not out[1].any()
    centred = alignment.unit(numpy.random.default_rng(0).normal(size=(50, 4)) + 5)
    assert numpy.allclose(numpy.linalg.norm(centred, axis=1), 1)
    with pytest.raises(ValueError, match="2-D"):
        alignment.unit(numpy.zeros(3))


def test_procrustes_matches_scipy_and_recovers_a_rotation():
    x, y, q = _rotated(noise=0.05)
    w = alignment.procrustes(x, y)
    reference, _ = scipy.linalg.orthogonal_procrustes(x, y)
    assert numpy.allclose(w, reference, atol=1e-4)
    exact_x, exact_y, exact_q = _rotated()
    assert numpy.allclose(alignment.procrustes(exact_x, exact_y), exact_q, atol=1e-4)


def test_semi_orthogonal_procrustes_equals_zero_padding():
    rng = numpy.random.default_rng(1)
    x, y = rng.normal(size=(100, 5)), rng.normal(size=(100, 12))
    w = alignment.procrustes(x, y)
    assert w.shape == (5, 12) and numpy.allclose(w @ w.T, numpy.eye(5), atol=1e-5)
    padded = numpy.hstack([x, numpy.zeros((100, 7))])
    square, _ = scipy.linalg.orthogonal_procrustes(padded, y)
    assert numpy.allclose(padded @ square, x @ w, atol=1e-4)
    with pytest.raises(ValueError, match="map the other way"):
        alignment.procrustes(y, x)


def test_least_squares_needs_more_pairs_than_dimensions():
    x, y, q = _rotated(n=200, d=20)
    assert numpy.allclose(alignment.least_squares(x, y), q, atol=1e-4)
    few = alignment.least_squares(x[:10], y[:10])
    assert not numpy.allclose(few, q, atol=0.1)  # 10 pairs for 20 dimensions: underdetermined
    assert numpy.allclose(alignment.procrustes(x[:30], y[:30]), q, atol=1e-4)  # orthogonal: 30 do


def test_csls_equals_a_per_pair_loop():
    rng = numpy.random.default_rng(2)
    q, t, s = (alignment.unit(rng.normal(size=(n, 6)), center=False) for n in (7, 9, 11))
    k = 3
    scores = alignment.csls(q, t, k=k, sources=s)
    for i in range(7):
        for j in range(9):
            r_t = numpy.mean(sorted(q[i] @ t.T)[-k:])
            r_s = numpy.mean(sorted(t[j] @ s.T)[-k:])
            assert scores[i, j] == pytest.approx(2 * q[i] @ t[j] - r_t - r_s, abs=1e-5)
    with pytest.raises(ValueError, match="k must be"):
        alignment.csls(q, t, k=10)


def test_csls_demotes_a_hub():
    rng = numpy.random.default_rng(3)
    targets = alignment.unit(rng.normal(size=(50, 8)), center=False)
    hub = alignment.unit(targets.mean(axis=0, keepdims=True) * 0.3 + targets[:1] * 0.0 + 1e-3, center=False)
    targets = numpy.vstack([targets, hub])
    queries = alignment.unit(targets[:50] + 0.6 * rng.normal(size=(50, 8)), center=False)
    nn = alignment.translate(queries, targets, method="nn")
    by_csls = alignment.translate(queries, targets, k=5)
    gold = numpy.arange(50)
    assert alignment.precision_at_1(by_csls, gold) >= alignment.precision_at_1(nn, gold)
    with pytest.raises(ValueError, match="csls"):
        alignment.translate(queries, targets, method="cosine")


def test_precision_at_1_counts_any_gold_translation():
    assert alignment.precision_at_1([1, 2, 3], [{1, 5}, 3, {3}]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="one prediction"):
        alignment.precision_at_1([1], [1, 2])


def test_a_self_learning_round_improves_a_noisy_seed():
    x, y, q = _rotated(n=300, d=10, noise=0.02, seed=4)
    rng = numpy.random.default_rng(5)
    seed_w = numpy.linalg.qr(q + 0.25 * rng.normal(size=q.shape))[0]
    gold = numpy.arange(300)
    before = alignment.precision_at_1(alignment.translate(x @ seed_w, y), gold)
    w, pairs = alignment.self_learning_round(x, y, seed_w)
    after = alignment.precision_at_1(alignment.translate(x @ w, y), gold)
    assert before < 0.6 and after > 0.9 and len(pairs) > 150  # 0.49 -> 0.95 here
    assert numpy.mean([i == j for i, j in pairs]) > 0.5  # 0.58 here: the right pairs outvote the wrong


def test_wilson_interval_matches_scipy():
    for hits, n in [(0, 10), (7, 20), (150, 150), (41, 273)]:
        ours = stats.wilson_interval(hits, n)
        ref = scipy_stats.binomtest(hits, n).proportion_ci(method="wilson")
        assert (ours.low, ours.high) == pytest.approx((ref.low, ref.high), abs=1e-9)
        assert ours.mean == pytest.approx(hits / n)
    with pytest.raises(ValueError, match="hits"):
        stats.wilson_interval(5, 3)
