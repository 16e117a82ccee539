"""Checks for lesson 08's exercises: Procrustes by SVD, CSLS scores, one self-learning round.

Each check tests behaviour on made-up vectors of its own (a known rotation, a space with a hub, a
noisy seed mapping) against :mod:`tlcourse.alignment`, prints a verdict and returns a
:class:`~tlcourse.checks.core.Result`; ``result.use(fallback)`` picks what the lesson goes on with.
"""

from __future__ import annotations

import numpy

from tlcourse import alignment
from tlcourse.checks import core


def _unit_rows(rng, n: int, d: int) -> numpy.ndarray:
    return alignment.unit(rng.normal(size=(n, d)), center=False)


def procrustes(answer) -> core.Result:
    """Exercise 1: ``answer(source, target)`` -> the orthogonal ``W`` with ``source @ W ~ target``."""

    def test(function):
        rng = numpy.random.default_rng(11)
        x = _unit_rows(rng, 60, 6)
        rotation, _ = numpy.linalg.qr(rng.normal(size=(6, 6)))
        y = x @ rotation + 0.05 * rng.normal(size=(60, 6))
        w = numpy.asarray(function(x, y), dtype=float)
        core.expect(w.shape == (6, 6), f"W maps 6 dimensions to 6: shape (6, 6), got {w.shape}.")
        core.expect(
            numpy.allclose(w @ w.T, numpy.eye(6), atol=1e-3),
            "W is not orthogonal (W @ W.T should be the identity): take U @ Vt from the SVD, not a "
            "least-squares solution, and leave out the singular values.",
        )
        reference = alignment.procrustes(x, y)
        if numpy.allclose(w.T, reference, atol=1e-3):
            raise core.Wrong(
                "this is the transpose of the answer (it maps target onto source): the SVD is of "
                "source.T @ target, and W = U @ Vt."
            )
        core.expect(
            numpy.allclose(w, reference, atol=1e-3),
            "orthogonal, but not the best fit: W = U @ Vt with U, S, Vt = svd(source.T @ target).",
        )
        wide = numpy.asarray(function(x[:, :4], y), dtype=float)
        core.expect(
            wide.shape == (4, 6) and numpy.allclose(wide, alignment.procrustes(x[:, :4], y), atol=1e-3),
            "4 source dimensions onto 6 target ones should give a (4, 6) W with orthonormal rows: "
            "use numpy.linalg.svd(..., full_matrices=False).",
        )

    return core.run("Exercise 1 (Procrustes by SVD)", answer, test, success="the rotation is recovered.")


def csls(answer) -> core.Result:
    """Exercise 2: ``answer(queries, targets, *, k, sources)`` -> ``(n, m)`` CSLS scores."""

    def test(function):
        rng = numpy.random.default_rng(12)
        queries, targets, sources = _unit_rows(rng, 8, 5), _unit_rows(rng, 30, 5), _unit_rows(rng, 40, 5)
        scores = numpy.asarray(function(queries, targets, k=4, sources=sources), dtype=float)
        core.expect(scores.shape == (8, 30), f"one score per (query, target): (8, 30), got {scores.shape}.")
        reference = alignment.csls(queries, targets, k=4, sources=sources)
        if numpy.allclose(scores, reference, atol=1e-4):
            return
        for k in (3, 5):
            if numpy.allclose(scores, alignment.csls(queries, targets, k=k, sources=sources), atol=1e-4):
                raise core.Wrong(f"k is off by one (this is k={k} for k=4): keep the k largest similarities.")
        if numpy.allclose(scores, alignment.csls(queries, targets, k=4, sources=queries), atol=1e-4):
            raise core.Wrong("r_S(t) is each target's mean similarity to the mapped *sources*, all of them.")
        sims = queries @ targets.T
        r_t = numpy.sort(sims, axis=1)[:, -4:].sum(1)
        top = r_t[:, None] + numpy.sort(targets @ sources.T, axis=1)[:, -4:].sum(1)
        if numpy.allclose(scores, 2 * sims - top, atol=1e-4):
            raise core.Wrong("divide the sum of the k largest similarities by k: r is a mean, not a sum.")
        core.expect(False, "not CSLS: 2 cos(q, t) - r_T(q) - r_S(t), each r a mean of the k largest cosines.")

    return core.run("Exercise 2 (CSLS)", answer, test, success="the same scores as the per-pair definition.")


def self_learning_round(answer) -> core.Result:
    """Exercise 3: ``answer(source, target, w, *, k)`` -> ``(new W, mutual pairs)``."""

    def test(function):
        rng = numpy.random.default_rng(13)
        x = _unit_rows(rng, 300, 10)
        rotation, _ = numpy.linalg.qr(rng.normal(size=(10, 10)))
        y = alignment.unit(x @ rotation + 0.02 * rng.normal(size=(300, 10)), center=False)
        seed_w = numpy.linalg.qr(rotation + 0.25 * rng.normal(size=rotation.shape))[0]
        result = function(x, y, seed_w, k=10)
        core.expect(isinstance(result, tuple) and len(result) == 2, "return a tuple (new W, pairs of (i, j))")
        w, pairs = result
        pairs = [(int(i), int(j)) for i, j in pairs]
        expected = alignment.mutual_pairs(x @ seed_w, y, k=10)
        if set(pairs) > set(expected):
            raise core.Wrong("keep only *mutual* pairs: j is i's best target and i is j's best source.")
        nn_forward = numpy.argmax((x @ seed_w) @ y.T, axis=1)
        nn_backward = numpy.argmax(y @ (x @ seed_w).T, axis=1)
        nn_pairs = {(i, int(j)) for i, j in enumerate(nn_forward) if nn_backward[j] == i}
        if set(pairs) == nn_pairs and nn_pairs != set(expected):
            raise core.Wrong(
                "rank by CSLS (alignment.translate), not by raw cosine: the hubs crowd out the pairs."
            )
        core.expect(
            set(pairs) == set(expected),
            "the pairs differ from the mutual CSLS neighbours under w: map the sources with w first.",
        )
        core.expect(
            numpy.allclose(numpy.asarray(w), alignment.self_learning_round(x, y, seed_w, k=10)[0], atol=1e-3),
            "right pairs; now refit Procrustes on them: procrustes(source[rows], target[cols]).",
        )

    return core.run(
        "Exercise 3 (a self-learning round)", answer, test, success="the pairs and W of the package's round."
    )
