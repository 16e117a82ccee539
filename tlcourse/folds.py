"""The fixed-fold protocol: the course's folds, the seeds derived from them, subsampling, and the fold loop.

Lesson 00 introduces it: 10-fold cross-validation repeated 5 times, stratified, seed 0, stored with the
data as a ``folds`` column so every lesson and every model meets the same splits. Training on fewer
labels draws them with :func:`stratified_subsample`, seeded by :func:`split_seed` so that every model
sees the same sentences. Every seed a run derives (a split's, an epoch's, a head's) comes from
:func:`derived_seed`, and torch's global generators are seeded only inside :func:`torch_seeded`, which
gives them back as they were.

>>> derived_seed(0, 2, 7), derived_seed(5, 1)
(2007, 6)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

import numpy

#: The course's fixed folds: 10-fold cross-validation repeated 5 times, stratified, seed 0.
N_SPLITS, N_REPEATS, FOLD_SEED = 10, 5, 0
#: The base of :func:`derived_seed`: indices below it never collide.
_BASE = 1000


# --- seeds --------------------------------------------------------------------------------------------


def derived_seed(seed: int, *path: int) -> int:
    """The seed of one part of a run: ``seed`` plus ``path`` read as digits in base 1000.

    ``derived_seed(seed, repeat, fold) = seed + 1000 * repeat + fold``; ``derived_seed(seed, k) = seed + k``.
    Every index after the first must be below 1000, so two paths of the same length never share a seed.
    """
    value = 0
    for position, index in enumerate(path):
        if index < 0 or (position > 0 and index >= _BASE):
            raise ValueError(f"Seed indices must be >= 0, and below {_BASE} after the first; got {path}.")
        value = value * _BASE + int(index)
    return int(seed) + value


def split_seed(repeat: int, fold: int) -> int:
    """The seed that draws a split's training subsample: ``derived_seed(FOLD_SEED, repeat, fold)``."""
    return derived_seed(FOLD_SEED, repeat, fold)


@contextlib.contextmanager
def torch_seeded(seed: int, *, device: str = "cpu") -> Iterator[None]:
    """Run a block with torch's global generators seeded with ``seed``, and restore them afterwards.

    What draws from the global generators (a model's initialisation, dropout) becomes reproducible
    without reseeding anything outside the block. The CPU's generator is always seeded; the GPUs'
    as well when ``device`` is a CUDA device. Same numbers as ``torch.manual_seed(seed)`` before it.
    """
    import torch

    gpus = list(range(torch.cuda.device_count())) if torch.device(device).type == "cuda" else []
    with torch.random.fork_rng(devices=gpus):
        torch.default_generator.manual_seed(seed)
        if gpus:
            torch.cuda.manual_seed_all(seed)
        yield


# --- the folds ----------------------------------------------------------------------------------------


def fold_table(
    labels, *, n_splits: int = N_SPLITS, n_repeats: int = N_REPEATS, seed: int = FOLD_SEED
) -> numpy.ndarray:
    """Test-fold number of each example in each repeat: shape ``(n_examples, n_repeats)``.

    Stratified, so every fold has both classes in proportion (scikit-learn's ``RepeatedStratifiedKFold``).
    """
    from sklearn.model_selection import RepeatedStratifiedKFold

    labels = numpy.asarray(labels)
    table = numpy.full((len(labels), n_repeats), -1, dtype=numpy.int64)
    splitter = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=seed)
    for index, (_, test) in enumerate(splitter.split(numpy.zeros(len(labels)), labels)):
        table[test, index // n_splits] = index % n_splits
    return table


def with_folds(dataset, *, n_splits: int = N_SPLITS, n_repeats: int = N_REPEATS, seed: int = FOLD_SEED):
    """A ``datasets.Dataset`` with a ``folds`` column added: the example's test fold in each repeat."""
    table = fold_table(dataset["label"], n_splits=n_splits, n_repeats=n_repeats, seed=seed)
    return dataset.add_column("folds", table.tolist())


def splits(dataset, *, repeats: int | None = None):
    """Yield ``(repeat, fold, train_indices, test_indices)`` over the dataset's fixed folds."""
    table = numpy.asarray(dataset["folds"])
    n_repeats = table.shape[1] if repeats is None else min(repeats, table.shape[1])
    for repeat in range(n_repeats):
        for fold in range(int(table[:, repeat].max()) + 1):
            test = numpy.flatnonzero(table[:, repeat] == fold)
            train = numpy.flatnonzero(table[:, repeat] != fold)
            yield repeat, fold, train, test


def training_size(dataset) -> int:
    """How many examples a fold trains on when it takes its whole training part: ``n - n // folds``."""
    table = numpy.asarray(dataset["folds"])
    return len(table) - len(table) // int(table[:, 0].max() + 1)


# --- fewer labels ---------------------------------------------------------------------------------------


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
    chosen = [
        rng.choice(numpy.flatnonzero(labels == c), size=q, replace=False) for c, q in zip(classes, quota)
    ]
    return numpy.sort(numpy.concatenate(chosen))


def training_part(
    train: numpy.ndarray,
    labels,
    repeat: int,
    fold: int,
    *,
    size: int | None,
    subsample: Callable[..., numpy.ndarray] = stratified_subsample,
) -> numpy.ndarray:
    """The indices a split trains on: all of ``train``, or ``size`` of them drawn with :func:`split_seed`.

    ``labels`` are the whole dataset's; every model asking for the same split and size gets the same
    examples (lesson 00's curve, lesson 05's fine-tuning).
    """
    if size is None:
        return train
    return train[subsample(numpy.asarray(labels)[train], size, seed=split_seed(repeat, fold))]


# --- the fold loop -----------------------------------------------------------------------------------------


def cross_validate(
    score: Callable[[numpy.ndarray, numpy.ndarray], object],
    dataset,
    *,
    size: int | None = None,
    subsample: Callable[..., numpy.ndarray] = stratified_subsample,
    repeats: int | None = None,
) -> numpy.ndarray:
    """``score(train_indices, test_indices)`` on each fixed fold: ``(repeats, folds)`` (+ the score's shape).

    With ``size``, each fold trains on :func:`training_part` of its training part. The one fold loop
    of the course: :func:`tlcourse.baseline.cross_validate` and :mod:`tlcourse.probing` call it.
    """
    labels = numpy.asarray(dataset["label"])
    scores = {}
    for repeat, fold, train, test in splits(dataset, repeats=repeats):
        train = training_part(train, labels, repeat, fold, size=size, subsample=subsample)
        scores[repeat, fold] = score(train, test)
    n_repeats, n_folds = 1 + max(r for r, _ in scores), 1 + max(f for _, f in scores)
    return numpy.array([[scores[r, f] for f in range(n_folds)] for r in range(n_repeats)])


def learning_curve(
    score: Callable[[numpy.ndarray, numpy.ndarray], object],
    dataset,
    *,
    sizes: Sequence[int | None],
    subsample: Callable[..., numpy.ndarray] = stratified_subsample,
    repeats: int | None = None,
) -> dict[int, numpy.ndarray]:
    """:func:`cross_validate` at each number of training labels: ``{n: (repeats, folds)}``.

    ``None``, or a size at least :func:`training_size`, stands for the whole training part.
    """
    n_train = training_size(dataset)
    curve = {}
    for size in sizes:
        n = n_train if size is None or size >= n_train else size
        size = None if n == n_train else n
        curve[n] = cross_validate(score, dataset, size=size, subsample=subsample, repeats=repeats)
    return curve
