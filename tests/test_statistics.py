"""Intervals and the baseline's evaluation, against scikit-learn and scipy as references."""

from __future__ import annotations

import numpy
import pytest
from scipy import stats as scipy_stats
from sklearn import model_selection

from tlcourse import baseline, folds, stats


def test_t_interval_matches_scipy():
    scores = numpy.array([0.5, 0.6, 0.55, 0.7, 0.65])
    estimate = stats.t_interval(scores)
    low, high = scipy_stats.t.interval(
        0.95, len(scores) - 1, loc=scores.mean(), scale=scipy_stats.sem(scores)
    )
    assert estimate.low == pytest.approx(low) and estimate.high == pytest.approx(high)


def test_cv_interval_is_wider_than_naive():
    scores = numpy.random.default_rng(0).normal(0.6, 0.08, size=50)
    naive, corrected = stats.t_interval(scores), stats.cv_interval(scores, n_train=180, n_test=20)
    ratio = (corrected.high - corrected.low) / (naive.high - naive.low)
    assert ratio == pytest.approx(numpy.sqrt((1 / 50 + 20 / 180) / (1 / 50)))


def test_paired_difference():
    a, b = numpy.array([0.7, 0.8, 0.75]), numpy.array([0.6, 0.7, 0.7])
    assert stats.paired_difference(a, b).mean == pytest.approx(0.0833333, rel=1e-4)
    with pytest.raises(ValueError):
        stats.t_interval([1.0])


def test_cross_validate_matches_scikit_learn(shared_cache):
    from tlcourse import assets

    reviews = assets.load("movie_reviews", "tiny")
    ours = baseline.cross_validate(baseline.tfidf_logreg, reviews, repeats=2)
    folds = numpy.asarray(reviews["folds"])
    reference = []
    for repeat in range(2):
        splits = [
            (numpy.flatnonzero(folds[:, repeat] != f), numpy.flatnonzero(folds[:, repeat] == f))
            for f in range(10)
        ]
        reference.append(
            model_selection.cross_val_score(
                baseline.tfidf_logreg(), list(reviews["text"]), reviews["label"], cv=splits
            )
        )
    numpy.testing.assert_allclose(ours, numpy.array(reference))


def test_stratified_subsample():
    labels = numpy.array([0] * 150 + [1] * 50)
    chosen = folds.stratified_subsample(labels, 20, seed=1)
    assert len(set(chosen)) == 20 and labels[chosen].sum() == 5
    assert numpy.array_equal(chosen, folds.stratified_subsample(labels, 20, seed=1))
    with pytest.raises(ValueError):
        folds.stratified_subsample(labels, 0, seed=1)


def test_learning_curve_shapes(shared_cache):
    from tlcourse import assets

    reviews = assets.load("movie_reviews", "tiny")
    curve = baseline.learning_curve(baseline.tfidf_logreg, reviews, sizes=(10, None), repeats=1)
    assert list(curve) == [10, 180]
    assert all(v.shape == (1, folds.N_SPLITS) for v in curve.values())


def test_expect_prints_a_verdict_and_raises_only_when_strict(capsys):
    stats.expect("two is more than one", True, strict=True)
    stats.expect("one is more than two", False, strict=False)
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["[holds] two is more than one", "[does not hold here] one is more than two"]
    with pytest.raises(AssertionError, match="one is more than two"):
        stats.expect("one is more than two", False, strict=True)
