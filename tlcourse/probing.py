"""Linear probes: how much of a label a frozen representation makes linearly readable, and a control.

Lesson 03 probes every layer of the encoder for sentence sentiment. A probe is a small classifier
trained on frozen features; its held-out accuracy is read beside the same probe on a randomly
initialised encoder (Zhang & Bowman 2018; :func:`tlcourse.contextual.random_encoder`).
Features are computed once, outside; these functions only fit and score on the fixed folds
(:mod:`tlcourse.folds`). Lesson 05 reuses them for the frozen encoder's label-efficiency curve.

>>> import numpy
>>> labels = numpy.array([0, 1] * 10)
>>> features = numpy.c_[labels, numpy.zeros(20)] + 0.01
>>> linear_probe().fit(features, labels).score(features, labels)
1.0
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy
from sklearn import linear_model

from tlcourse import folds


def linear_probe(*, C: float = 1.0, seed: int = 0) -> linear_model.LogisticRegression:
    """A fresh logistic-regression probe (liblinear: about 10x faster than lbfgs on 180 x 384 features)."""
    return linear_model.LogisticRegression(C=C, solver="liblinear", random_state=seed)


@dataclasses.dataclass(frozen=True)
class ProbeScores:
    """Accuracies of one probe on the fixed folds, each ``(repeats, folds)``: held-out and training."""

    test: numpy.ndarray
    train: numpy.ndarray


def cross_validate_features(
    make_probe: Callable[[], object],
    features: numpy.ndarray,
    labels: numpy.ndarray,
    dataset,
    *,
    repeats: int | None = None,
) -> ProbeScores:
    """Fit a fresh probe per fixed fold on ``features`` ``(n, D)``; score it on the test and train parts.

    Like :func:`tlcourse.baseline.cross_validate`, but on a precomputed feature matrix, with the
    labels passed explicitly (so a control task can pass shuffled ones) and training accuracy kept.
    """
    features, labels = numpy.asarray(features), numpy.asarray(labels)
    if len(features) != len(labels) or len(labels) != len(dataset):
        raise ValueError(
            f"features ({len(features)}), labels ({len(labels)}) and dataset ({len(dataset)}) must have one "
            f"row per example."
        )

    def score(train: numpy.ndarray, held_out: numpy.ndarray) -> tuple[float, float]:
        probe = make_probe().fit(features[train], labels[train])
        return (
            float(numpy.mean(probe.predict(features[held_out]) == labels[held_out])),
            float(numpy.mean(probe.predict(features[train]) == labels[train])),
        )

    both = folds.cross_validate(score, dataset, repeats=repeats)  # (repeats, folds, 2)
    return ProbeScores(both[..., 0], both[..., 1])


def probe_layers(
    make_probe: Callable[[], object],
    features: numpy.ndarray,
    labels: numpy.ndarray,
    dataset,
    *,
    repeats: int | None = None,
) -> list[ProbeScores]:
    """:func:`cross_validate_features` on each layer of ``features`` ``(L, n, D)``: one result per layer."""
    return [
        cross_validate_features(make_probe, layer, labels, dataset, repeats=repeats)
        for layer in numpy.asarray(features)
    ]
