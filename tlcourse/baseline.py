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

from tlcourse import corpora

#: The sizes of the label-efficiency curve; ``None`` stands for every training example of a fold.
CURVE_SIZES = (10, 20, 50, 100, None)


def tfidf_logreg(*, C: float = 1.0, seed: int = 0) -> pipeline.Pipeline:
    """A fresh, unfitted word 1-gram TF-IDF + logistic regression pipeline (lesson 00's baseline)."""
    return pipeline.make_pipeline(
        feature_extraction.text.TfidfVectorizer(ngram_range=(1, 1)),
        linear_model.LogisticRegression(C=C, max_iter=1000, random_state=seed),
    )


def stratified_subsample(labels: Sequence[int], n: int, *, seed: int) -> numpy.ndarray:
    """``n`` distinct positions of ``labels``, each class in proportion, drawn with ``seed``.

    Returns sorted indices into ``labels``; shape ``(n,)``. Lesson 00's third exercise.
    """
    labels = numpy.asarray(labels)
    if not 0 < n <= len(labels):
        raise ValueError(f"n must be between 1 and {len(labels)}, got {n}.")
    rng = numpy.random.default_rng(seed)
    classes, counts = numpy.unique(labels, return_counts=True)
    quota = numpy.floor(counts / counts.sum() * n).astype(int)
    # hand the remaining places to the classes with the largest remainders, at least one each
    remainder = counts / counts.sum() * n - quota
    for index in numpy.argsort(-remainder)[: n - quota.sum()]:
        quota[index] += 1
    chosen = [rng.choice(numpy.flatnonzero(labels == c), size=q, replace=False) for c, q in zip(classes, quota)]
    return numpy.sort(numpy.concatenate(chosen))


def cross_validate(
    make_model: Callable[[], object],
    dataset,
    *,
    size: int | None = None,
    subsample: Callable[..., numpy.ndarray] = stratified_subsample,
    repeats: int | None = None,
) -> numpy.ndarray:
    """Accuracy of a fresh ``make_model()`` on each fixed fold: shape ``(repeats, folds)``.

    With ``size``, each fold trains on ``subsample(train_labels, size, seed=...)`` of its training part
    (seeded by repeat and fold, so every model sees the same examples) and tests on the whole test part.
    """
    texts = numpy.asarray(dataset["text"], dtype=object)
    labels = numpy.asarray(dataset["label"])
    scores: dict[tuple[int, int], float] = {}
    for repeat, fold, train, test in corpora.splits(dataset, repeats=repeats):
        if size is not None:
            train = train[subsample(labels[train], size, seed=1000 * repeat + fold)]
        model = make_model()
        model.fit(list(texts[train]), labels[train])
        scores[repeat, fold] = float(numpy.mean(model.predict(list(texts[test])) == labels[test]))
    n_repeats = 1 + max(r for r, _ in scores)
    n_folds = 1 + max(f for _, f in scores)
    return numpy.array([[scores[r, f] for f in range(n_folds)] for r in range(n_repeats)])


def learning_curve(
    make_model: Callable[[], object],
    dataset,
    *,
    sizes: Sequence[int | None] = CURVE_SIZES,
    subsample: Callable[..., numpy.ndarray] = stratified_subsample,
    repeats: int | None = None,
) -> dict[int, numpy.ndarray]:
    """Fold accuracies at each number of training labels: ``{n: scores of shape (repeats, folds)}``."""
    n_train = len(dataset) - len(dataset) // int(numpy.asarray(dataset["folds"])[:, 0].max() + 1)
    curve = {}
    for size in sizes:
        n = n_train if size is None or size >= n_train else size
        curve[n] = cross_validate(make_model, dataset, size=None if n == n_train else n, subsample=subsample, repeats=repeats)
    return curve
