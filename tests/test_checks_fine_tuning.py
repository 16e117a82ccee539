"""Lesson 05's checks: the solution passes, the blank is "not done", plausible wrong answers get their
hint."""

from __future__ import annotations

import numpy
import pytest
import torch
from conftest import standard_check_tests

from tlcourse import finetuning
from tlcourse.checks import core
from tlcourse.checks import fine_tuning as check

LESSON = "05_fine_tuning_bert"
EXERCISES = [
    ("fit", check.fit),
    ("length_buckets", check.length_buckets),
    ("discriminative_lrs", check.discriminative_lrs),
]
PACKAGE = {
    "fit": finetuning.fit,
    "length_buckets": finetuning.length_buckets,
    "discriminative_lrs": finetuning.discriminative_lrs,
}


(
    test_solution_passes_and_blank_is_not_done,
    test_package_versions_pass,
    test_checks_never_raise_on_garbage,
) = standard_check_tests(LESSON, EXERCISES, PACKAGE)


def _loop(zero=True, clip=True, schedule=True, item=True):
    def fit(model, batches, optimizer, scheduler, *, clip_value=None, progress=False, **kwargs):
        limit = kwargs.get("clip", clip_value)
        losses = []
        for batch in batches:
            loss = model(**batch).loss
            if zero:
                optimizer.zero_grad()
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), limit)
            optimizer.step()
            if schedule:
                scheduler.step()
            losses.append(loss.item() if item else loss.item() * 2)
        return losses

    return fit


@pytest.mark.parametrize(
    "answer, hint",
    [
        (_loop(zero=False), "zero_grad"),
        (_loop(schedule=False), "scheduler.step"),
        (_loop(clip=False), "clip_grad_norm_"),
        (_loop(item=False), "loss.item()"),
    ],
    ids=["no zero_grad", "no scheduler step", "no clipping", "wrong losses"],
)
def test_fit_wrong_answers(answer, hint):
    result = check.fit(answer)
    assert result.status == core.WRONG and hint in result.message, result.message


def _sorted_unshuffled(lengths, batch_size, *, seed):
    order = numpy.argsort(lengths, kind="stable")
    return [order[i : i + batch_size].tolist() for i in range(0, len(order), batch_size)]


def _windows_in_order(lengths, batch_size, *, seed):
    rng = numpy.random.default_rng(seed)
    order = rng.permutation(len(lengths))
    lengths = numpy.asarray(lengths)
    batches = []
    for start in range(0, len(order), 50 * batch_size):
        chunk = order[start : start + 50 * batch_size]
        chunk = chunk[numpy.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size].tolist() for i in range(0, len(chunk), batch_size))
    return batches


def _seed_ignored(lengths, batch_size, *, seed):
    return finetuning.length_buckets(lengths, batch_size, seed=0)


def _global_random(lengths, batch_size, *, seed):
    return finetuning.length_buckets(lengths, batch_size, seed=int(numpy.random.randint(1 << 30)))


def _drop_last(lengths, batch_size, *, seed):
    batches = finetuning.length_buckets(lengths, batch_size, seed=seed)
    return [b for b in batches if len(b) == batch_size]


@pytest.mark.parametrize(
    "answer, hint",
    [
        (
            lambda lengths, batch_size, *, seed: finetuning.random_batches(
                len(lengths), batch_size, seed=seed
            ),
            "similar length",
        ),
        (_sorted_unshuffled, "shuffle the order of the batches"),
        (_drop_last, "exactly one batch"),
        (_windows_in_order, "shuffle the order of the batches"),
        (_seed_ignored, "the seed must decide"),
        (_global_random, "same seed gave different batches"),
    ],
    ids=[
        "no bucketing",
        "not shuffled",
        "last batch dropped",
        "windows in length order",
        "seed ignored",
        "global random state",
    ],
)
def test_length_buckets_wrong_answers(answer, hint):
    result = check.length_buckets(answer)
    assert result.status == core.WRONG and hint in result.message, result.message


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda base, n, *, factor=2.6: [base * factor**k for k in range(n)], "divide"),
        (lambda base, n, *, factor=2.6: [base / factor**k for k in range(n)][::-1], "starts from the top"),
        (lambda base, n, *, factor=2.6: [base / factor ** (k + 1) for k in range(n)], "keeps base_lr"),
        (lambda base, n, *, factor=2.6: [base / 2.6**k for k in range(n)], "expected"),
    ],
    ids=["multiplied", "reversed", "off by one", "factor ignored"],
)
def test_discriminative_lrs_wrong_answers(answer, hint):
    result = check.discriminative_lrs(answer)
    assert result.status == core.WRONG and hint in result.message, result.message
