"""Lesson 02's checks: the solution passes, the blank is "not done", plausible wrong answers get their
hint."""

from __future__ import annotations

import numpy
import pytest
from conftest import assert_exercise_both_ways

from tlcourse import sentences
from tlcourse.checks import core
from tlcourse.checks import sentence_vectors as check

LESSON = "02_sentence_vectors"
EXERCISES = [
    ("sif_weights", check.sif_weights),
    ("mean_pool", check.mean_pool),
    ("agreement", check.agreement),
    ("search", check.search),
]


@pytest.mark.parametrize("name, run_check", EXERCISES)
def test_solution_passes_and_blank_is_not_done(name, run_check):
    assert_exercise_both_ways(LESSON, name, run_check)


@pytest.mark.parametrize("name, run_check", EXERCISES)
def test_package_versions_pass(name, run_check):
    package = {
        "sif_weights": sentences.sif_weights,
        "mean_pool": sentences.mean_pool,
        "agreement": sentences.similarity_correlation,
        "search": sentences.nearest,
    }[name]
    assert run_check(package).status == core.PASSED


@pytest.mark.parametrize("name, run_check", EXERCISES)
def test_checks_never_raise_on_garbage(name, run_check):
    for answer in (None, 42, "text", lambda *a, **k: 1 / 0):
        assert run_check(answer).status in (core.NOT_DONE, core.WRONG)


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda counts, *, a=1e-3: {w: a / (a + c) for w, c in counts.items()}, "probability"),
        (
            lambda counts, *, a=1e-3: {w: (a + c / sum(counts.values())) / a for w, c in counts.items()},
            "small",
        ),
    ],
    ids=["raw counts", "inverted"],
)
def test_sif_wrong_answers(answer, hint):
    result = check.sif_weights(answer)
    assert result.status == core.WRONG and hint in result.message


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda h, m: h.mean(dim=1), "padding"),  # pooling over padding: the rejected wrong answer
        (lambda h, m: (h * m.unsqueeze(-1)).sum(dim=1), "divide"),
        (lambda h, m: (h * m.unsqueeze(-1)).sum(dim=1) / h.shape[1], "padded length"),
        (lambda h, m: h[:, 0], "[CLS]"),
    ],
    ids=["over padding", "no division", "divide by T", "cls"],
)
def test_mean_pool_wrong_answers(answer, hint):
    result = check.mean_pool(answer)
    assert result.status == core.WRONG and hint in result.message


def _dot_agreement(vectors, human):
    rows, cols = numpy.triu_indices(len(human), k=1)
    return numpy.corrcoef((vectors @ vectors.T)[rows, cols], human[rows, cols])[0, 1]


def _full_matrix_agreement(vectors, human):
    unit = vectors / numpy.linalg.norm(vectors, axis=1, keepdims=True)
    return numpy.corrcoef((unit @ unit.T).ravel(), human.ravel())[0, 1]


def _spearman_agreement(vectors, human):
    from scipy import stats

    rows, cols = numpy.triu_indices(len(human), k=1)
    return stats.spearmanr(sentences.cosine_matrix(vectors)[rows, cols], human[rows, cols])[0]


@pytest.mark.parametrize(
    "answer, hint",
    [
        (_full_matrix_agreement, "above the diagonal"),
        (_dot_agreement, "cosine"),
        (_spearman_agreement, "Pearson"),
    ],
    ids=["whole matrix", "dot product", "spearman"],
)
def test_agreement_wrong_answers(answer, hint):
    result = check.agreement(answer)
    assert result.status == core.WRONG and hint in result.message


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda q, v, *, k=5: numpy.argsort(-(v @ q))[:k], "dot product"),
        (lambda q, v, *, k=5: numpy.sort(sentences.nearest(q, v, k=k)), "order"),
        (
            lambda q, v, *, k=5: numpy.argsort((v / numpy.linalg.norm(v, axis=1, keepdims=True)) @ q)[:k],
            "least",
        ),
    ],
    ids=["dot product", "unsorted", "ascending"],
)
def test_search_wrong_answers(answer, hint):
    result = check.search(answer)
    assert result.status == core.WRONG and hint in result.message
