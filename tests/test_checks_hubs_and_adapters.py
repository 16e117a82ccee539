"""Lesson 09's checks: the solution passes, the blank is "not done", plausible wrong answers get a hint."""

from __future__ import annotations

import math

import pytest
import torch
from conftest import standard_check_tests

from tlcourse import adapters, bert
from tlcourse.checks import core
from tlcourse.checks import hubs_and_adapters as check

LESSON = "09_hubs_and_adapters"
EXERCISES = [("attention", check.attention), ("lora_forward", check.lora_forward), ("merge", check.merge)]
PACKAGE = {
    "attention": bert.attention,
    "lora_forward": lambda x, base, A, B, scale: base(x) + scale * (x @ A.T @ B.T),
    "merge": adapters.merge,
}


(
    test_solution_passes_and_blank_is_not_done,
    test_package_versions_pass,
    test_checks_never_raise_on_garbage,
) = standard_check_tests(LESSON, EXERCISES, PACKAGE, garbage=(lambda *a, **k: torch.zeros(3),))


def _unmasked(q, k, v, mask):
    return torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), dim=-1) @ v


def _unscaled(q, k, v, mask):
    scores = q @ k.transpose(-1, -2) + (1 - mask[:, None, None, :].float()) * torch.finfo(q.dtype).min
    return torch.softmax(scores, dim=-1) @ v


def _query_axis(q, k, v, mask):
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + (1 - mask[:, None, None, :].float()) * -1e9
    return torch.softmax(scores, dim=-2) @ v


@pytest.mark.parametrize(
    "answer, hint",
    [(_unmasked, "mask == 0"), (_unscaled, "sqrt(d)"), (_query_axis, "softmax axis")],
    ids=["mask not applied", "not scaled", "softmax over queries"],
)
def test_attention_wrong_answers(answer, hint):
    result = check.attention(answer)
    assert result.status == core.WRONG and hint in result.message, result.message


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda x, base, A, B, scale: base(x) + x @ A.T @ B.T, "alpha / r"),
        (lambda x, base, A, B, scale: base(x) + scale * (x @ B.T @ A.T), "A comes first"),
        (lambda x, base, A, B, scale: scale * (x @ A.T @ B.T), "base(x)"),
    ],
    ids=["scale forgotten", "B and A swapped", "frozen output dropped"],
)
def test_lora_forward_wrong_answers(answer, hint):
    result = check.lora_forward(answer)
    assert result.status == core.WRONG and hint in result.message, result.message


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda weight, A, B, scale: weight + B @ A, "scale"),
        (lambda weight, A, B, scale: weight + scale * (A.T @ B.T), "transposed"),
        (lambda weight, A, B, scale: weight + scale * (A @ B), "B @ A, not A @ B"),
    ],
    ids=["scale forgotten", "transposed B A", "A B"],
)
def test_merge_wrong_answers(answer, hint):
    result = check.merge(answer)
    assert result.status == core.WRONG and hint in result.message, result.message
