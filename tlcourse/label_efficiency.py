"""The label-efficiency curve: accuracy against the number of labels, and how many labels pretraining saves.

Lesson 05 introduces it on VADER's rated movie snippets (Pang & Lee's Rotten Tomatoes sentences, the source
of lesson 00's 200). The protocol: a balanced sample, ``repeats`` fixed 70/30 splits (the test part of repeat
``r`` is :func:`tlcourse.domain_shift.split`'s, the same for every model), and at each size ``n`` the same
``n`` training labels for every model, drawn from the training part with :func:`tlcourse.folds.split_seed`.
Scores of one model are ``{n: (repeats,)}``; intervals are Nadeau & Bengio's corrected ones
(:mod:`tlcourse.stats`), paired repeat by repeat when two models are compared.

>>> from tlcourse import label_efficiency
>>> label_efficiency.draw(numpy.arange(10), numpy.array([0, 1] * 5), 4, repeat=0)   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy

from tlcourse import domain_shift, folds, stats

#: A model to score: ``score(train_indices, test_indices, repeat) -> accuracy``.
Score = Callable[[numpy.ndarray, numpy.ndarray, int], float]


def draw(train: numpy.ndarray, labels, n: int | None, *, repeat: int) -> numpy.ndarray:
    """The ``n`` training labels of ``repeat``: a stratified draw from ``train`` (all of it when ``n`` is
    ``None`` or at least ``len(train)``), seeded by ``split_seed(repeat, 0)``, the same for every model."""
    if n is None or n >= len(train):
        return train
    return folds.training_part(train, labels, repeat, 0, size=n)


def sizes_for(dataset, sizes: Sequence[int | None]) -> list[int]:
    """The label counts actually used: each size capped at the training part of a split (``None``: all)."""
    n_train = len(domain_shift.split(dataset, 0)[0])
    return sorted({n_train if n is None or n >= n_train else int(n) for n in sizes})


def curve(score: Score, dataset, *, sizes: Sequence[int | None], repeats: int) -> dict[int, numpy.ndarray]:
    """``score`` at each number of labels on each repeat's fixed split: ``{n: (repeats,)}``."""
    labels = numpy.asarray(dataset["label"])
    parts = [domain_shift.split(dataset, r) for r in range(repeats)]
    return {
        n: numpy.array(
            [score(draw(train, labels, n, repeat=r), test, r) for r, (train, test) in enumerate(parts)]
        )
        for n in sizes_for(dataset, sizes)
    }


def split_sizes(dataset) -> tuple[int, int]:
    """``(n_train, n_test)`` of a repeat's split: the sizes Nadeau & Bengio's correction needs."""
    train, test = domain_shift.split(dataset, 0)
    return len(train), len(test)


def interval(scores, dataset) -> stats.Estimate:
    """Mean accuracy over repeats with the corrected resampled t-interval (the test parts overlap)."""
    n_train, n_test = split_sizes(dataset)
    return stats.cv_interval(scores, n_train=n_train, n_test=n_test)


def paired(a, b, dataset) -> stats.Estimate:
    """``a - b`` repeat by repeat (same test part), with the corrected interval.

    Scores are ``(repeats,)``; when one model ran on fewer repeats (the costly ones run on the first
    few), the pairs are those repeats.
    """
    a, b = numpy.asarray(a, dtype=float).ravel(), numpy.asarray(b, dtype=float).ravel()
    common = min(len(a), len(b))
    n_train, n_test = split_sizes(dataset)
    return stats.paired_difference(a[:common], b[:common], n_train=n_train, n_test=n_test)


def best_at(opponents: Mapping[str, Mapping[int, numpy.ndarray]], n: int) -> tuple[str, numpy.ndarray]:
    """The opponent with the highest mean accuracy at ``n`` labels among those measured there."""
    measured = {name: curve[n] for name, curve in opponents.items() if n in curve}
    if not measured:
        raise ValueError(f"no opponent was measured at n={n}; measured sizes: {sorted(_sizes(opponents))}.")
    name = max(measured, key=lambda key: float(numpy.mean(measured[key])))
    return name, measured[name]


def _sizes(opponents: Mapping[str, Mapping[int, numpy.ndarray]]) -> set[int]:
    return {n for curve in opponents.values() for n in curve}


def savings(
    pretrained: Mapping[int, numpy.ndarray], opponents: Mapping[str, Mapping[int, numpy.ndarray]], dataset
) -> list[dict]:
    """ULMFiT's question at every pair of sizes: is pretrained at ``n`` at least the best opponent at ``m``?

    One row per ``n`` in ``pretrained`` and ``m >= n`` measured for an opponent: ``{"n", "m", "k": m / n,
    "opponent", "difference": paired Estimate}``. Where the difference's interval lies above 0, the
    pretrained model with ``n`` labels beat the best from-scratch model with ``k`` times as many.
    """
    rows = []
    for n in sorted(pretrained):
        for m in sorted(_sizes(opponents)):
            if m >= n:
                name, scores = best_at(opponents, m)
                rows.append(
                    {
                        "n": n,
                        "m": m,
                        "k": m / n,
                        "opponent": name,
                        "difference": paired(pretrained[n], scores, dataset),
                    }
                )
    return rows


def largest_saving(rows: Sequence[dict], n: int) -> dict | None:
    """The row with the largest ``k`` at ``n`` whose paired interval lies above 0 (None: there is none)."""
    supported = [row for row in rows if row["n"] == n and row["difference"].low > 0]
    return max(supported, key=lambda row: row["k"]) if supported else None


def seed_and_split(
    score: Callable[[int, int], float], *, seeds: int, splits: int
) -> dict[str, numpy.ndarray]:
    """Stability over seeds, separated from the split's luck: ``score(seed, repeat)`` on one split with
    ``seeds`` seeds, and with seed 0 on ``splits`` splits. ``{"seeds": (seeds,), "splits": (splits,)}``."""
    first = score(0, 0)
    return {
        "seeds": numpy.array([first] + [score(seed, 0) for seed in range(1, seeds)]),
        "splits": numpy.array([first] + [score(0, repeat) for repeat in range(1, splits)]),
    }


# --- models to score -------------------------------------------------------------------------------------


def on_texts(make_model: Callable[[], object], dataset) -> Score:
    """A fresh ``make_model()`` (a scikit-learn pipeline on texts, lesson 00's TF-IDF) as a :data:`Score`."""
    texts, labels = numpy.asarray(dataset["text"], dtype=object), numpy.asarray(dataset["label"])

    def score(train: numpy.ndarray, test: numpy.ndarray, repeat: int) -> float:
        model = make_model().fit(list(texts[train]), labels[train])
        return float(numpy.mean(model.predict(list(texts[test])) == labels[test]))

    return score


def on_features(features: numpy.ndarray, dataset, make_model: Callable[[], object] | None = None) -> Score:
    """Frozen ``features`` ``(n, D)`` + a fresh classifier (:func:`tlcourse.sentences.frozen_classifier`)."""
    from tlcourse import sentences

    make_model = make_model or sentences.frozen_classifier
    features, labels = numpy.asarray(features), numpy.asarray(dataset["label"])

    def score(train: numpy.ndarray, test: numpy.ndarray, repeat: int) -> float:
        model = make_model().fit(features[train], labels[train])
        return float(numpy.mean(model.predict(features[test]) == labels[test]))

    return score


def trained_with(
    make_model: Callable[[int], object],
    train: Callable[..., dict],
    tokenizer,
    dataset,
    config,
    *,
    seed: int,
    device: str = "cpu",
    on_record: Callable[[int, int, dict], None] | None = None,
) -> Score:
    """``make_model(seed)`` trained by ``train(model, tokenizer, texts, labels, config, seed=, device=)``,
    as a :data:`Score`.

    Repeat ``r`` builds its model with ``derived_seed(seed, r, 0)`` and trains it with ``derived_seed(seed,
    r)``; ``on_record(n_train, r, record)`` sees each run's training record. One model at a time.
    """
    from tlcourse import env, finetuning

    texts, labels = numpy.asarray(dataset["text"], dtype=object), numpy.asarray(dataset["label"])

    def score(train_idx: numpy.ndarray, test_idx: numpy.ndarray, repeat: int) -> float:
        model = make_model(folds.derived_seed(seed, repeat, 0))
        record = train(
            model,
            tokenizer,
            list(texts[train_idx]),
            labels[train_idx],
            config,
            seed=folds.derived_seed(seed, repeat),
            device=device,
        )
        predicted = finetuning.predict(
            model, tokenizer, list(texts[test_idx]), max_length=config.max_length, device=device
        )
        if on_record is not None:
            on_record(len(train_idx), repeat, record)
        del model  # before the next run builds its own: never two models at once
        env.release_memory(collect=False)
        return float(numpy.mean(predicted == labels[test_idx]))

    return score


def trained(
    folder,
    tokenizer,
    dataset,
    config,
    *,
    pretrained: bool,
    seed: int,
    device: str = "cpu",
    loop=None,
    records=None,
) -> Score:
    """A fresh classifier (``finetuning.build_classifier``) trained with ``config``, as a :data:`Score`.

    Seeded as :func:`trained_with` seeds; each run's record goes in ``records[(len(train), r)]`` when
    ``records`` is a dict (its losses show whether training converged).
    """
    from tlcourse import finetuning

    def make_model(model_seed: int):
        return finetuning.build_classifier(folder, pretrained=pretrained, seed=model_seed)

    def train(*args, **kwargs) -> dict:
        return finetuning.train(*args, loop=loop or finetuning.fit, progress=False, **kwargs)

    def keep(n_train: int, repeat: int, record: dict) -> None:
        if records is not None:
            records[n_train, repeat] = record

    return trained_with(
        make_model, train, tokenizer, dataset, config, seed=seed, device=device, on_record=keep
    )
