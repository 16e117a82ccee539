"""Honest numbers: means with intervals for repeated cross-validation and paired comparisons.

Fold scores of repeated k-fold cross-validation share training data, so their plain standard error
is too small. :func:`cv_interval` uses Nadeau & Bengio's (2003) corrected resampled t-interval.
Lesson 00 introduces it; every lesson that compares numbers uses it.
"""

from __future__ import annotations

import dataclasses

import numpy
from scipy import stats as _stats


@dataclasses.dataclass(frozen=True)
class Estimate:
    """A mean with a two-sided interval: ``low <= mean <= high`` at ``level`` (e.g. 0.95)."""

    mean: float
    low: float
    high: float
    spread: float  # standard deviation of the individual scores
    n: int
    level: float = 0.95

    def __str__(self) -> str:
        interval = f"{self.level:.0%} interval, n={self.n}, sd {self.spread:.3f}"
        return f"{self.mean:.3f} [{self.low:.3f}, {self.high:.3f}] ({interval})"


def t_interval(scores, *, level: float = 0.95) -> Estimate:
    """Mean of independent ``scores`` with Student's t-interval."""
    scores = numpy.asarray(scores, dtype=float).ravel()
    n = scores.size
    if n < 2:
        raise ValueError(f"An interval needs at least 2 scores, got {n}.")
    mean, sd = scores.mean(), scores.std(ddof=1)
    half = _stats.t.ppf(0.5 + level / 2, n - 1) * sd / numpy.sqrt(n)
    return Estimate(float(mean), float(mean - half), float(mean + half), float(sd), n, level)


def cv_interval(scores, *, n_train: int, n_test: int, level: float = 0.95) -> Estimate:
    """Mean of repeated k-fold ``scores`` (any shape) with the corrected resampled t-interval.

    The variance of the mean is ``(1/J + n_test/n_train) * s^2`` for ``J`` fold scores (Nadeau &
    Bengio 2003; Bouckaert & Frank 2004), not ``s^2/J``.
    """
    scores = numpy.asarray(scores, dtype=float).ravel()
    j = scores.size
    if j < 2:
        raise ValueError(f"An interval needs at least 2 scores, got {j}.")
    mean, sd = scores.mean(), scores.std(ddof=1)
    half = _stats.t.ppf(0.5 + level / 2, j - 1) * sd * numpy.sqrt(1 / j + n_test / n_train)
    return Estimate(float(mean), float(mean - half), float(mean + half), float(sd), j, level)


def percentile_interval(samples, *, point: float | None = None, level: float = 0.95) -> Estimate:
    """The bootstrap percentile interval of resampled statistics ``samples`` (Efron & Tibshirani 1993, ch.
    13).

    ``point`` is the statistic on the data as observed (the interval's centre to report); the mean of the
    ``samples`` otherwise. ``spread`` is the bootstrap standard error, ``n`` the number of resamples.
    Lesson 02 uses it for correlations over resampled documents.
    """
    samples = numpy.asarray(samples, dtype=float).ravel()
    if samples.size < 2:
        raise ValueError(f"A bootstrap interval needs at least 2 resamples, got {samples.size}.")
    low, high = numpy.quantile(samples, [(1 - level) / 2, (1 + level) / 2])
    centre = float(samples.mean()) if point is None else float(point)
    return Estimate(centre, float(low), float(high), float(samples.std(ddof=1)), samples.size, level)


def wilson_interval(hits: int, n: int, *, level: float = 0.95) -> Estimate:
    """A proportion ``hits / n`` (P@1, accuracy on one test set) with Wilson's score interval (Wilson 1927).

    ``spread`` is the binomial standard error ``sqrt(p (1 - p) / n)``. Lesson 08 uses it for P@1.
    """
    if n < 1 or not 0 <= hits <= n:
        raise ValueError(f"Need 0 <= hits <= n and n >= 1, got hits={hits}, n={n}.")
    p, z = hits / n, _stats.norm.ppf(0.5 + level / 2)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * numpy.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    spread = float(numpy.sqrt(p * (1 - p) / n))
    return Estimate(float(p), float(centre - half), float(centre + half), spread, n, level)


def paired_difference(
    a, b, *, n_train: int | None = None, n_test: int | None = None, level: float = 0.95
) -> Estimate:
    """``a - b`` over the same folds or repeats, with the corrected interval when sizes are given."""
    diff = numpy.asarray(a, dtype=float).ravel() - numpy.asarray(b, dtype=float).ravel()
    if n_train and n_test:
        return cv_interval(diff, n_train=n_train, n_test=n_test, level=level)
    return t_interval(diff, level=level)


def expect(claim: str, holds: bool, *, strict: bool) -> None:
    """Print whether an expected effect ``holds`` here, and raise only when ``strict`` and it does not.

    Lessons pass ``strict=ENV.profile == "tiny"``: their thresholds were chosen on the ``tiny`` data,
    so CI fails there when an effect is lost, while ``small`` and ``full`` show a verdict instead.
    Lesson 03 introduces it.
    """
    print(f"[{'holds' if holds else 'does not hold here'}] {claim}")
    if strict and not holds:
        raise AssertionError(f"expected, but not found: {claim}")
