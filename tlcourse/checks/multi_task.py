"""Checks for lesson 07's exercises: one multi-task step, temperature sampling, loss weights.

Each check tests behaviour on cases of its own (task sizes worked out by hand, a small shared model
stepped beside the package's), prints a verdict and returns a :class:`~tlcourse.checks.core.Result`;
``result.use(fallback)`` picks what the lesson goes on with.
"""

from __future__ import annotations

import copy
import math

import torch

from tlcourse import multitask
from tlcourse.checks import core

SIZES = {"big": 900, "small": 100}


def sampling_probabilities(answer, *, show: bool = True) -> core.Result:
    """Exercise 2: ``sampling_probabilities(sizes, *, temperature)`` -> ``{task: p}``, p ~ n ** (1/T)."""

    def test(sampling_probabilities):
        got = {t: float(sampling_probabilities(SIZES, temperature=t)["small"]) for t in (1.0, 2.0, math.inf)}
        close = lambda a, b: abs(a - b) < 1e-6  # noqa: E731
        core.expect(
            not close(got[2.0], 100**2 / (900**2 + 100**2)),
            "the exponent is 1/T, not T: a higher temperature flattens the distribution.",
        )
        core.expect(
            close(sum(sampling_probabilities(SIZES, temperature=2.0).values()), 1.0),
            "divide by the total so the probabilities sum to one.",
        )
        core.expect(close(got[1.0], 0.1), f"T = 1 is proportional to size: expected 0.1, got {got[1.0]:.3f}.")
        core.expect(
            close(got[2.0], 0.25), f"T = 2: sqrt(100) / (sqrt(900) + sqrt(100)) = 0.25, got {got[2.0]:.3f}."
        )
        core.expect(close(got[math.inf], 0.5), f"T = inf is uniform: expected 0.5, got {got[math.inf]:.3f}.")

    return core.run(
        "Exercise 2 (temperature sampling)",
        answer,
        test,
        success="p proportional to n ** (1/T), from proportional (T = 1) to uniform (T = inf).",
        show=show,
    )


def _model_and_batch():
    model = multitask.make_model(6, {"a": 2, "b": 3}, multitask.Config(hidden=5), seed=0)
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(8, 6, generator=generator)
    return model, x, torch.randint(2, (8,), generator=generator)


def _step(step, model, x, y, *, weight=1.0, calls=1):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = [step(model, optimizer, "b", x, y, weight=weight) for _ in range(calls)]
    return model, losses


def train_step(answer, *, show: bool = True) -> core.Result:
    """Exercise 1: ``train_step(model, optimizer, task, x, y, *, weight)`` -> loss, one step on one task."""

    def test(train_step):
        model, x, y = _model_and_batch()
        mine, losses = _step(train_step, copy.deepcopy(model), x, y, weight=0.5, calls=2)
        reference, expected = _step(multitask.train_step, copy.deepcopy(model), x, y, weight=0.5, calls=2)
        core.expect(
            torch.equal(mine.heads["a"].weight, model.heads["a"].weight),
            "another task's head changed: use the head of the batch's task only, model(x, task).",
        )
        core.expect(
            not torch.equal(mine.trunk[0].weight, model.trunk[0].weight),
            "the shared trunk did not move: call loss.backward() and optimizer.step().",
        )
        core.expect(
            isinstance(losses[0], float) and abs(losses[0] - expected[0]) < 1e-5,
            f"return the weighted loss as a float (loss.item()): expected {expected[0]:.4f}, "
            f"got {losses[0]!r}.",
        )
        one, _ = _step(train_step, copy.deepcopy(model), x, y, weight=1.0, calls=2)
        twice, _ = _step(multitask.train_step, copy.deepcopy(model), x, y, weight=1.0, calls=2)
        core.expect(
            torch.allclose(one.trunk[0].weight, twice.trunk[0].weight, atol=1e-6),
            "the second step differs from the reference: zero the gradients first (optimizer.zero_grad()), "
            "or they add up from step to step.",
        )
        core.expect(
            torch.allclose(mine.trunk[0].weight, reference.trunk[0].weight, atol=1e-6),
            "with weight 0.5 the step should be half as large: multiply the loss by weight "
            "before backward().",
        )

    return core.run(
        "Exercise 1 (one multi-task step)",
        answer,
        test,
        success="the batch goes through the shared trunk and its own head only; the step matches.",
        show=show,
    )


def loss_weights(answer, *, show: bool = True) -> core.Result:
    """Exercise 3: ``loss_weights(sizes, *, temperature)`` -> ``{task: q / p}``."""

    def test(loss_weights):
        got = {name: float(w) for name, w in loss_weights(SIZES, temperature=2.0).items()}
        core.expect(
            abs(got["small"] - 0.25) > 1e-6,
            "that is q itself: divide it by the proportional probability p = n / total.",
        )
        core.expect(
            abs(got["small"] - 0.4) > 1e-6,
            "upside down: the small task, sampled less than temperature sampling would, "
            "needs a weight above 1.",
        )
        core.expect(
            abs(got["small"] - 2.5) < 1e-6 and abs(got["big"] - 0.75 / 0.9) < 1e-6,
            f"expected small 2.5 (0.25 / 0.1) and big 0.833 (0.75 / 0.9), got {got}.",
        )
        same = loss_weights(SIZES, temperature=1.0)
        core.expect(all(abs(w - 1) < 1e-6 for w in same.values()), "at T = 1 every weight is 1.")

    return core.run(
        "Exercise 3 (loss weights)",
        answer,
        test,
        success="w = q / p: proportional sampling, so weighted, has temperature sampling's expected loss.",
        show=show,
    )
