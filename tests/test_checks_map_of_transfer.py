"""Lesson 00's checks: the solution passes, the blank is "not done", plausible wrong answers are rejected."""

from __future__ import annotations

import numpy
import pytest
from conftest import assert_exercise_both_ways
from sklearn import feature_extraction, linear_model, pipeline

from tlcourse.checks import core
from tlcourse.checks import map_of_transfer as check

LESSON = "00_map_of_transfer"
EXERCISES = [
    ("kind_of_transfer", check.kind_of_transfer),
    ("make_baseline", check.make_baseline),
    ("subsample", check.subsample),
]


@pytest.mark.parametrize("name, run_check", EXERCISES)
def test_solution_passes_and_blank_is_not_done(name, run_check):
    assert_exercise_both_ways(LESSON, name, run_check)


def test_check_never_raises_on_garbage():
    for answer in (None, 42, "text", lambda **kw: 1 / 0):
        result = check.kind_of_transfer(answer)
        assert result.status in (core.NOT_DONE, core.WRONG)


def test_kind_of_transfer_swapped_families_is_wrong():
    def swapped(*, same_task, same_language, learned_together):  # inductive/transductive swapped
        if not same_task:
            return "domain adaptation" if same_language else "cross-lingual learning"
        return "multi-task learning" if learned_together else "sequential transfer learning"

    result = check.kind_of_transfer(swapped)
    assert result.status == core.WRONG
    assert "transductive" in result.message


def test_kind_of_transfer_inverted_language_is_wrong():
    def inverted(*, same_task, same_language, learned_together):
        if same_task:
            return "cross-lingual learning" if same_language else "domain adaptation"
        return "multi-task learning" if learned_together else "sequential transfer learning"

    assert check.kind_of_transfer(inverted).status == core.WRONG


def _pipe(vectoriser, C=1.0):
    return lambda: pipeline.make_pipeline(vectoriser, linear_model.LogisticRegression(C=C, max_iter=1000))


@pytest.mark.parametrize(
    "factory, hint",
    [
        (lambda: _pipe(feature_extraction.text.TfidfVectorizer(ngram_range=(1, 2)))(), "single words"),
        (lambda: _pipe(feature_extraction.text.CountVectorizer())(), "TF-IDF"),
        (lambda: _pipe(feature_extraction.text.TfidfVectorizer(), C=100.0)(), "C=1"),
    ],
    ids=["bigrams", "counts", "C=100"],
)
def test_baseline_wrong_answers_get_their_hint(factory, hint):
    result = check.make_baseline(factory)
    assert result.status == core.WRONG
    assert hint in result.message


def test_baseline_shared_model_is_wrong():
    shared = pipeline.make_pipeline(
        feature_extraction.text.TfidfVectorizer(), linear_model.LogisticRegression(max_iter=1000)
    )
    result = check.make_baseline(lambda: shared)
    assert result.status == core.WRONG and "new, unfitted" in result.message


def test_subsample_first_n_is_wrong():
    result = check.subsample(lambda labels, n, *, seed: numpy.arange(n))
    assert result.status == core.WRONG and "sorted by label" in result.message


def test_subsample_with_replacement_is_wrong():
    def with_replacement(labels, n, *, seed):
        return numpy.random.default_rng(seed).choice(len(labels), size=n, replace=True)

    result = check.subsample(with_replacement)
    assert result.status == core.WRONG


def test_subsample_unstratified_random_is_wrong():
    def unstratified(labels, n, *, seed):
        return numpy.random.default_rng(seed).choice(len(labels), size=n, replace=False)

    assert check.subsample(unstratified).status == core.WRONG


def test_subsample_ignoring_seed_is_wrong():
    def unseeded(labels, n, *, seed):
        labels = numpy.asarray(labels)
        rng = numpy.random.default_rng()
        half = n // 2
        neg = rng.choice(numpy.flatnonzero(labels == 0), n - half, replace=False)
        pos = rng.choice(numpy.flatnonzero(labels == 1), half, replace=False)
        return numpy.concatenate([neg, pos])

    result = check.subsample(unseeded)
    assert result.status == core.WRONG


def test_result_use_returns_answer_only_when_passed():
    passed = core.run("x", 1, lambda a: None, show=False)
    wrong = core.run("x", 1, lambda a: core.expect(False, "nope"), show=False)
    assert passed.use(2) == 1 and wrong.use(2) == 2 and wrong.message == "nope"
