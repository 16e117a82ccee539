"""Task relatedness as a knob: two tasks whose labels come from directions at an angle theta.

Lesson 07's controlled experiment. On real frozen sentence vectors ``(n, D)`` (standardised per column),
a main task labels a vector by which side of the median it falls along a random unit direction ``u``; an
auxiliary task does the same along ``v``, at angle theta to ``u`` (``v = cos(theta) u + sin(theta) w``
with ``w`` a random unit vector orthogonal to ``u``). theta = 0 is the same task, 90 degrees an unrelated
one, 180 degrees the same boundary with the labels swapped. A low-resource main task is trained alone or
with the auxiliary one on a shared trunk (:mod:`tlcourse.multitask`), on the same rows and seeds.

>>> u, v = directions(8, 60.0, seed=0)
>>> round(float(u @ v), 6)
0.5
"""

from __future__ import annotations

import numpy

from tlcourse import folds, multitask

#: Angles of the experiment, in degrees.
ANGLES = (0.0, 45.0, 90.0, 135.0, 180.0)


def standardise(features: numpy.ndarray) -> numpy.ndarray:
    """Columns centred and scaled to unit variance, ``(n, D)`` -> ``(n, D)``: every direction has spread."""
    features = numpy.asarray(features, dtype=float)
    return (features - features.mean(0)) / features.std(0).clip(min=1e-12)


def directions(dim: int, theta: float, *, seed: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Unit vectors ``u`` (random) and ``v = cos(theta) u + sin(theta) w``, ``w`` orthogonal to ``u``."""
    rng = numpy.random.default_rng(seed)
    u, w = rng.standard_normal((2, dim))
    u /= numpy.linalg.norm(u)
    w -= (w @ u) * u
    w /= numpy.linalg.norm(w)
    angle = numpy.deg2rad(theta)
    return u, numpy.cos(angle) * u + numpy.sin(angle) * w


def labels_along(features: numpy.ndarray, direction: numpy.ndarray) -> numpy.ndarray:
    """1 where the projection on ``direction`` is above its median, else 0: ``(n,)``, balanced."""
    projection = numpy.asarray(features) @ direction
    return (projection > numpy.median(projection)).astype(int)


def controlled(
    features: numpy.ndarray,
    angles,
    *,
    n_main: int,
    n_test: int,
    config: multitask.Config,
    seed: int,
) -> dict[str, numpy.ndarray]:
    """One seed at every angle: the main task's test accuracy alone and shared, and the labels' agreement.

    ``features`` ``(n, D)``: ``n_test`` rows are held out for the main task's test, ``n_main`` labelled
    rows train it, and the auxiliary task is labelled on all the other rows. The main task (its rows,
    its direction ``u``, the initial weights) is the same at every angle, so "alone" is trained once;
    shared sampling is proportional to size. Returns ``{"alone", "shared", "agreement"}``, each
    ``(angles,)``.
    """
    x = standardise(features)
    order = numpy.random.default_rng(folds.derived_seed(seed, 1)).permutation(len(x))
    test, main, aux = order[:n_test], order[n_test : n_test + n_main], order[n_test + n_main :]
    u = directions(x.shape[1], 0.0, seed=folds.derived_seed(seed, 2))[0]
    y_main = labels_along(x, u)
    main_task, tests = multitask.as_task(x, y_main, main), {"main": multitask.as_task(x, y_main, test)}
    alone = multitask.run({"main": main_task}, tests, {"main": 1.0}, config, seed=seed)["main"]
    shared, agreement = [], []
    for theta in angles:
        y_aux = labels_along(x, directions(x.shape[1], theta, seed=folds.derived_seed(seed, 2))[1])
        train = {"main": main_task, "aux": multitask.as_task(x, y_aux, aux)}
        sizes = {name: len(y) for name, (_, y) in train.items()}
        p = multitask.sampling_probabilities(sizes, temperature=1.0)
        shared.append(multitask.run(train, tests, p, config, seed=seed)["main"])
        agreement.append(float(numpy.mean(y_main == y_aux)))
    return {
        "alone": numpy.full(len(angles), alone),
        "shared": numpy.array(shared),
        "agreement": numpy.array(agreement),
    }


def sweep(
    features: numpy.ndarray,
    *,
    angles=ANGLES,
    seeds=range(5),
    n_main: int = 40,
    n_test: int = 300,
    config: multitask.Config | None = None,
) -> dict[str, numpy.ndarray]:
    """:func:`controlled` for every seed: ``{"alone", "shared", "agreement"}``, each ``(angles, seeds)``."""
    config = config or multitask.Config()
    runs = [controlled(features, angles, n_main=n_main, n_test=n_test, config=config, seed=s) for s in seeds]
    return {key: numpy.stack([r[key] for r in runs], axis=1) for key in ("alone", "shared", "agreement")}
