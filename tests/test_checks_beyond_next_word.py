"""Lesson 10's checks: the solution passes, the blank is "not done", wrong answers get their hint."""

from __future__ import annotations

import numpy
import pytest
import torch
from conftest import standard_check_tests

from tlcourse import cache_lm, contrastive, span_corruption
from tlcourse.checks import beyond_next_word as check
from tlcourse.checks import core

LESSON = "10_beyond_next_word"
EXERCISES = [
    ("span_corrupt", check.span_corrupt),
    ("cache_mix", check.cache_mix),
    ("contrastive_loss", check.contrastive_loss),
]
PACKAGE = {
    "span_corrupt": span_corruption.corrupt,
    "cache_mix": cache_lm.mix,
    "contrastive_loss": contrastive.info_nce,
}


(
    test_solution_passes_and_blank_is_not_done,
    test_package_versions_pass,
    test_checks_never_raise_on_garbage,
) = standard_check_tests(LESSON, EXERCISES, PACKAGE)


def _corrupt(per_word=False, closing=True, same_mark=False):
    def span_corrupt(tokens, mask):
        inputs, targets, span = [], [], 0
        for i, (token, hidden) in enumerate(zip(tokens, mask)):
            if hidden and (per_word or i == 0 or not mask[i - 1]):
                mark = "<extra_id_0>" if same_mark else f"<extra_id_{span}>"
                inputs.append(mark)
                targets.append(mark)
                span += 1
            (targets if hidden else inputs).append(token)
        if closing:
            targets.append(f"<extra_id_{span}>")
        return inputs, targets

    return span_corrupt


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_corrupt(per_word=True), "per hidden *span*"),
        (_corrupt(closing=False), "one more sentinel"),
        (_corrupt(same_mark=True), "its own sentinel"),
        (
            lambda tokens, mask: (
                [t for t, m in zip(tokens, mask) if not m],
                [t for t, m in zip(tokens, mask) if m],
            ),
            "sentinel",
        ),
    ],
)
def test_wrong_span_corruptions_get_their_hint(wrong, hint):
    result = check.span_corrupt(wrong)
    assert result.status == core.WRONG and hint in result.message, result.message


def _no_share_guard(model_probability, cache_count, cache_size, *, weight):
    return (1 - weight) * model_probability + weight * cache_count / cache_size


def _weight_always(model_probability, cache_count, cache_size, *, weight):
    share = numpy.divide(cache_count, cache_size, out=numpy.zeros_like(cache_count), where=cache_size > 0)
    return (1 - weight) * model_probability + weight * share


def _no_one_minus(model_probability, cache_count, cache_size, *, weight):
    share = numpy.divide(cache_count, cache_size, out=numpy.zeros_like(cache_count), where=cache_size > 0)
    return model_probability + numpy.where(cache_size > 0, weight, 0.0) * share


def _over_vocab(model_probability, cache_count, cache_size, *, weight):
    share = cache_count / len(model_probability)
    weight = numpy.where(cache_size > 0, weight, 0.0)
    return (1 - weight) * model_probability + weight * share


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_no_share_guard, "0 / 0"),
        (_weight_always, "empty history"),
        (_no_one_minus, "(1 - weight)"),
        (_over_vocab, "count / size"),
    ],
)
def test_wrong_cache_mixes_get_their_hint(wrong, hint):
    result = check.cache_mix(wrong)
    assert result.status == core.WRONG and hint in result.message, result.message


def _unnormalised(a, b, *, temperature):
    import torch.nn.functional as F

    return F.cross_entropy(a @ b.T / temperature, torch.arange(len(a)))


def _no_temperature(a, b, *, temperature):
    import torch.nn.functional as F

    return F.cross_entropy(F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T, torch.arange(len(a)))


def _transposed(a, b, *, temperature):
    import torch.nn.functional as F

    logits = F.normalize(b, dim=-1) @ F.normalize(a, dim=-1).T / temperature
    return F.cross_entropy(logits, torch.arange(len(a)))


def _positives_only(a, b, *, temperature):
    import torch.nn.functional as F

    return -(F.cosine_similarity(a, b, dim=-1) / temperature).mean()


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_unnormalised, "cosines"),
        (_no_temperature, "temperature"),
        (_transposed, "a @ b.T"),
        (_positives_only, "negatives"),
        (lambda a, b, *, temperature: 0.0, "one-number tensor"),
    ],
)
def test_wrong_contrastive_losses_get_their_hint(wrong, hint):
    result = check.contrastive_loss(wrong)
    assert result.status == core.WRONG and hint in result.message, result.message
