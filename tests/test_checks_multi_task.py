"""Lesson 07's checks: the solution passes, the blank is "not done", plausible wrong answers get a hint."""

from __future__ import annotations

import pytest
import torch.nn.functional as F
from conftest import standard_check_tests

from tlcourse import multitask
from tlcourse.checks import core
from tlcourse.checks import multi_task as check

LESSON = "07_multi_task_learning"
EXERCISES = [
    ("train_step", check.train_step),
    ("sampling_probabilities", check.sampling_probabilities),
    ("loss_weights", check.loss_weights),
]
PACKAGE = {
    "train_step": multitask.train_step,
    "sampling_probabilities": multitask.sampling_probabilities,
    "loss_weights": multitask.loss_weights,
}
test_solution_passes_and_blank_is_not_done, test_package_versions_pass, test_checks_never_raise_on_garbage = (
    standard_check_tests(LESSON, EXERCISES, PACKAGE)
)


def _step(*, zero=True, head=None, weighted=True, step=True, as_float=True):
    def train_step(model, optimizer, task, x, y, *, weight=1.0):
        if zero:
            optimizer.zero_grad()
        loss = F.cross_entropy(model(x, head or task), y) * (weight if weighted else 1.0)
        loss.backward()
        if step:
            optimizer.step()
        return loss.item() if as_float else loss

    return train_step


@pytest.mark.parametrize(
    "answer, hint",
    [
        (_step(zero=False), "zero the gradients"),
        (_step(head="a"), "another task's head"),
        (_step(weighted=False), "weighted loss"),
        (_step(step=False), "did not move"),
        (_step(as_float=False), "as a float"),
    ],
    ids=["no zero_grad", "always the first head", "weight ignored", "no optimizer step", "returns a tensor"],
)
def test_train_step_wrong_answers(answer, hint):
    result = check.train_step(answer, show=False)
    assert result.status == core.WRONG and hint in result.message


def _powered(power):
    def sampling_probabilities(sizes, *, temperature):
        values = {k: n ** power(temperature) for k, n in sizes.items()}
        return {k: v / sum(values.values()) for k, v in values.items()}

    return sampling_probabilities


@pytest.mark.parametrize(
    "answer, hint",
    [
        (_powered(lambda t: t if t != float("inf") else 0), "exponent is 1/T"),
        (lambda sizes, *, temperature: {k: n ** (1 / temperature) for k, n in sizes.items()}, "sum to one"),
        (_powered(lambda t: 1), "T = 2"),
    ],
    ids=["n ** T", "not normalised", "always proportional"],
)
def test_sampling_probabilities_wrong_answers(answer, hint):
    result = check.sampling_probabilities(answer, show=False)
    assert result.status == core.WRONG and hint in result.message


def _ratio(upside_down=False, q_only=False):
    def loss_weights(sizes, *, temperature):
        p = multitask.sampling_probabilities(sizes, temperature=1)
        q = multitask.sampling_probabilities(sizes, temperature=temperature)
        if q_only:
            return q
        return {k: (p[k] / q[k] if upside_down else q[k] / p[k]) for k in sizes}

    return loss_weights


@pytest.mark.parametrize(
    "answer, hint",
    [(_ratio(upside_down=True), "upside down"), (_ratio(q_only=True), "q itself")],
    ids=["p / q", "q alone"],
)
def test_loss_weights_wrong_answers(answer, hint):
    result = check.loss_weights(answer, show=False)
    assert result.status == core.WRONG and hint in result.message
