"""Lesson 06's checks: the solution passes, the blank is "not done", plausible wrong answers get a hint."""

from __future__ import annotations

import numpy
import pytest
from conftest import assert_exercise_both_ways

from tlcourse import domain_adaptation, domain_shift, sentences
from tlcourse.checks import core
from tlcourse.checks import domain_adaptation as check

LESSON = "06_domain_adaptation"
EXERCISES = [
    ("cross_domain", check.cross_domain),
    ("oov_rate", check.oov_rate),
    ("pseudo_label", check.pseudo_label),
]
PACKAGE = {
    "cross_domain": domain_shift.cross_domain,
    "oov_rate": domain_shift.oov_rate,
    "pseudo_label": domain_adaptation.pseudo_label,
}


@pytest.mark.parametrize("name, run_check", EXERCISES)
def test_solution_passes_and_blank_is_not_done(name, run_check):
    assert_exercise_both_ways(LESSON, name, run_check)


@pytest.mark.parametrize("name, run_check", EXERCISES)
def test_package_versions_pass(name, run_check):
    assert run_check(PACKAGE[name], show=False).status == core.PASSED


@pytest.mark.parametrize("name, run_check", EXERCISES)
def test_checks_never_raise_on_garbage(name, run_check):
    for answer in (None, 42, "text", lambda *a, **k: 1 / 0):
        assert run_check(answer, show=False).status in (core.NOT_DONE, core.WRONG)


def _loop(transpose=False, on_train=False):
    def cross_domain(fit_predict, domains, *, repeats=5):
        names = list(domains)
        out = numpy.zeros((repeats, len(names), len(names)))
        for r in range(repeats):
            for i, source in enumerate(names):
                for j, target in enumerate(names):
                    train, _ = domain_shift.split(domains[source], r)
                    test = domain_shift.split(domains[target], r)[0 if on_train else 1]
                    truth = numpy.asarray(domains[target]["label"])[test]
                    out[r, j if transpose else i, i if transpose else j] = numpy.mean(
                        fit_predict(source, train, target, test) == truth
                    )
        return out

    return cross_domain


@pytest.mark.parametrize(
    "answer, hint",
    [(_loop(transpose=True), "swapped"), (_loop(on_train=True), "test part")],
    ids=["transposed", "tested on the training rows"],
)
def test_cross_domain_wrong_answers(answer, hint):
    result = check.cross_domain(answer, show=False)
    assert result.status == core.WRONG and hint in result.message


def _types(source, target):
    known, types = domain_shift.vocabulary(source), domain_shift.vocabulary(target)
    return len(types - known) / len(types)


def _not_lowered(source, target):
    known = {w for t in source for w in t.split()}
    tokens = [w.strip(",!") for t in target for w in t.split()]
    return sum(w not in known for w in tokens) / len(tokens)


@pytest.mark.parametrize(
    "answer, hint",
    [
        (_types, "tokens"),
        (lambda s, t: domain_shift.oov_rate(t, s), "direction"),
        (_not_lowered, "lower-case"),
        (lambda s, t: 1 - domain_shift.oov_rate(s, t), "expected 4"),
    ],
    ids=["types not tokens", "reversed", "not lower-cased", "share seen"],
)
def test_oov_rate_wrong_answers(answer, hint):
    result = check.oov_rate(answer, show=False)
    assert result.status == core.WRONG and hint in result.message


def _positive_only(probabilities, *, threshold):
    rows = numpy.flatnonzero(numpy.asarray(probabilities)[:, 1] >= threshold)
    return rows, numpy.ones(len(rows), int)


def _argmin(probabilities, *, threshold):
    rows, _ = domain_adaptation.pseudo_label(probabilities, threshold=threshold)
    return rows, numpy.asarray(probabilities)[rows].argmin(1)


@pytest.mark.parametrize(
    "answer, hint",
    [
        (_positive_only, "confident negatives"),
        (lambda p, *, threshold: (numpy.arange(len(p)), p.argmax(1)), "only the rows"),
        (_argmin, "argmax"),
    ],
    ids=["positive class only", "every row", "argmin"],
)
def test_pseudo_label_wrong_answers(answer, hint):
    result = check.pseudo_label(answer, show=False)
    assert result.status == core.WRONG and hint in result.message


def test_not_lowered_differs_from_the_tokenizer():
    assert sentences.tokenize("The PHONE") == ["the", "phone"]
