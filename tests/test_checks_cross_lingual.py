"""Lesson 08's checks: the solution passes, the blank is "not done", plausible wrong answers get a hint."""

from __future__ import annotations

import numpy
import pytest
from conftest import standard_check_tests

from tlcourse import alignment
from tlcourse.checks import core
from tlcourse.checks import cross_lingual as check

LESSON = "08_cross_lingual_transfer"
EXERCISES = [
    ("procrustes", check.procrustes),
    ("csls", check.csls),
    ("self_learning_round", check.self_learning_round),
]
PACKAGE = {
    "procrustes": alignment.procrustes,
    "csls": alignment.csls,
    "self_learning_round": alignment.self_learning_round,
}


(
    test_solution_passes_and_blank_is_not_done,
    test_package_versions_pass,
    test_checks_never_raise_on_garbage,
) = standard_check_tests(LESSON, EXERCISES, PACKAGE, garbage=(lambda *a, **k: numpy.zeros(3),))


def _svd(source, target, *, full=False):
    return numpy.linalg.svd(source.T @ target, full_matrices=full)


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda s, t: (lambda u, _, vt: (u @ vt).T)(*_svd(s, t)), "transpose"),
        (lambda s, t: numpy.linalg.lstsq(s, t, rcond=None)[0], "not orthogonal"),
        (lambda s, t: (lambda u, sv, vt: u @ numpy.diag(sv) @ vt)(*_svd(s, t)), "not orthogonal"),
        (
            lambda s, t: (
                (lambda u, _, vt: u @ vt)(*_svd(s, t, full=True))
                if s.shape[1] == t.shape[1]
                else numpy.eye(s.shape[1], t.shape[1])
            ),
            "full_matrices=False",
        ),
    ],
    ids=["transpose", "least squares", "singular values kept", "padding ignored"],
)
def test_procrustes_wrong_answers(answer, hint):
    result = check.procrustes(answer)
    assert result.status == core.WRONG and hint in result.message, result.message


def _csls_variant(k_shift=0, own_sources=False, summed=False):
    def csls(queries, targets, *, k=10, sources=None):
        sources = queries if sources is None or own_sources else sources
        kk = k + k_shift
        sims = queries @ targets.T
        r_t = numpy.sort(sims, axis=1)[:, -kk:]
        r_s = numpy.sort(targets @ sources.T, axis=1)[:, -kk:]
        r_t, r_s = (r_t.sum(1), r_s.sum(1)) if summed else (r_t.mean(1), r_s.mean(1))
        return 2 * sims - r_t[:, None] - r_s[None]

    return csls


@pytest.mark.parametrize(
    "answer, hint",
    [
        (_csls_variant(k_shift=1), "off by one"),
        (_csls_variant(k_shift=-1), "off by one"),
        (_csls_variant(own_sources=True), "mapped *sources*"),
        (_csls_variant(summed=True), "a mean, not a sum"),
        (lambda q, t, *, k=10, sources=None: q @ t.T, "not CSLS"),
    ],
    ids=["k+1", "k-1", "r_S over the queries", "sums not means", "plain cosine"],
)
def test_csls_wrong_answers(answer, hint):
    result = check.csls(answer)
    assert result.status == core.WRONG and hint in result.message, result.message


def _forward_only(source, target, w, *, k=10):
    best = numpy.argmax(alignment.csls(source @ w, target, k=k), axis=1)
    pairs = list(enumerate(best.tolist()))
    rows, cols = (numpy.array(side) for side in zip(*pairs))
    return alignment.procrustes(source[rows], target[cols]), pairs


def _by_cosine(source, target, w, *, k=10):
    mapped = source @ w
    forward, backward = numpy.argmax(mapped @ target.T, axis=1), numpy.argmax(target @ mapped.T, axis=1)
    pairs = [(i, int(j)) for i, j in enumerate(forward) if backward[j] == i]
    rows, cols = (numpy.array(side) for side in zip(*pairs))
    return alignment.procrustes(source[rows], target[cols]), pairs


def _no_refit(source, target, w, *, k=10):
    return w, alignment.mutual_pairs(source @ w, target, k=k)


@pytest.mark.parametrize(
    "answer, hint",
    [(_forward_only, "mutual"), (_by_cosine, "rank by CSLS"), (_no_refit, "refit Procrustes")],
    ids=["one direction", "cosine not CSLS", "no refit"],
)
def test_self_learning_wrong_answers(answer, hint):
    result = check.self_learning_round(answer)
    assert result.status == core.WRONG and hint in result.message, result.message
