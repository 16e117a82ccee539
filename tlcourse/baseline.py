"""The from-scratch baseline, frozen for the whole course: word TF-IDF + logistic regression.

Lesson 00 builds it and measures it on the fixed folds; later lessons recompute it beside what
transfer buys. Word 1-grams, ``C=1``, evaluated by 10-fold cross-validation repeated 5 times.

>>> model = tfidf_logreg()
>>> model.fit(["good film", "bad film"], [1, 0]).predict(["good"]).tolist()
[1]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy
from sklearn import feature_extraction, linear_model, pipeline

from tlcourse import folds

#: The sizes of the label-efficiency curve; ``None`` stands for every training example of a fold.
CURVE_SIZES = (10, 20, 50, 100, None)


def tfidf_logreg(*, C: float = 1.0, seed: int = 0) -> pipeline.Pipeline:
    """A fresh, unfitted word 1-gram TF-IDF + logistic regression pipeline (lesson 00's baseline)."""
    return pipeline.make_pipeline(
        feature_extraction.text.TfidfVectorizer(ngram_range=(1, 1)),
        linear_model.LogisticRegression(C=C, max_iter=1000, random_state=seed),
    )


def cross_validate(
    make_model: Callable[[], object],
    dataset,
    *,
    size: int | None = None,
    subsample: Callable[..., numpy.ndarray] = folds.stratified_subsample,
    repeats: int | None = None,
) -> numpy.ndarray:
    """Accuracy of a fresh ``make_model()`` on each fixed fold: shape ``(repeats, folds)``.

    With ``size``, each fold trains on ``subsample(train_labels, size, seed=...)`` of its training part
    (seeded by repeat and fold, :func:`tlcourse.folds.split_seed`, so every model sees the same examples)
    and tests on the whole test part.
    """
    score = _scorer(make_model, dataset)
    return folds.cross_validate(score, dataset, size=size, subsample=subsample, repeats=repeats)


def learning_curve(
    make_model: Callable[[], object],
    dataset,
    *,
    sizes: Sequence[int | None] = CURVE_SIZES,
    subsample: Callable[..., numpy.ndarray] = folds.stratified_subsample,
    repeats: int | None = None,
) -> dict[int, numpy.ndarray]:
    """Fold accuracies at each number of training labels: ``{n: scores of shape (repeats, folds)}``."""
    score = _scorer(make_model, dataset)
    return folds.learning_curve(score, dataset, sizes=sizes, subsample=subsample, repeats=repeats)


def _scorer(make_model: Callable[[], object], dataset) -> Callable[[numpy.ndarray, numpy.ndarray], float]:
    """``(train, test) -> accuracy`` of a fresh ``make_model()`` fitted on the texts of ``train``."""
    texts = numpy.asarray(dataset["text"], dtype=object)
    labels = numpy.asarray(dataset["label"])

    def score(train: numpy.ndarray, test: numpy.ndarray) -> float:
        model = make_model()
        model.fit(list(texts[train]), labels[train])
        return float(numpy.mean(model.predict(list(texts[test])) == labels[test]))

    return score
