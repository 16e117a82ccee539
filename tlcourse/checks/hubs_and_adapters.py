"""Checks for lesson 09's exercises: attention with the padding mask, the LoRA layer, merging LoRA.

Each check tests behaviour on cases of its own (random tensors with padded positions, non-square
LoRA factors, a scale other than 1) against the package's version, names the usual slip in its hint,
prints a verdict and returns a :class:`~tlcourse.checks.core.Result`.
"""

from __future__ import annotations

import math

import torch

from tlcourse import adapters, bert
from tlcourse.checks import core


def _close(a, b) -> bool:
    return isinstance(a, torch.Tensor) and a.shape == b.shape and torch.allclose(a, b, atol=1e-5, rtol=1e-4)


def attention(answer) -> core.Result:
    """Exercise 1: ``answer(q, k, v, mask)`` is scaled dot-product attention with the additive mask."""

    def test(function):
        generator = torch.Generator().manual_seed(9)
        q, k, v = (torch.randn(2, 3, 5, 4, generator=generator) for _ in range(3))
        mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
        got = function(q, k, v, mask)
        expected = bert.attention(q, k, v, mask)
        if _close(got, expected):
            return
        core.expect(
            isinstance(got, torch.Tensor) and got.shape == expected.shape,
            f"return a tensor of shape {tuple(expected.shape)} (B, H, T, d), like v.",
        )
        unmasked = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(4), dim=-1) @ v
        core.expect(
            not _close(got, unmasked),
            "padded keys still get attention: add a very negative number "
            "(torch.finfo(dtype).min) to the scores where mask == 0, before the softmax.",
        )
        unscaled = bert.attention(q * math.sqrt(4), k, v, mask)
        core.expect(not _close(got, unscaled), "divide the scores q k^T by sqrt(d), d the width of one head.")
        raise core.Wrong(
            "the result differs from softmax(q k^T / sqrt(d) + mask term) v: "
            "check the softmax axis (the keys)."
        )

    return core.run("Exercise 1 (attention with the mask)", answer, test)


def _lora_case(square: bool):
    generator = torch.Generator().manual_seed(3 if square else 4)
    n_in, n_out, r = (6, 6, 6) if square else (7, 5, 3)
    base = torch.nn.Linear(n_in, n_out)
    with torch.no_grad():
        base.weight.copy_(torch.randn(n_out, n_in, generator=generator))
        base.bias.copy_(torch.randn(n_out, generator=generator))
    return (
        base,
        torch.randn(r, n_in, generator=generator),
        torch.randn(n_out, r, generator=generator),
        torch.randn(4, n_in, generator=generator),
        16 / r,
    )


def lora_forward(answer) -> core.Result:
    """Exercise 2: ``answer(x, base, A, B, scale)`` is ``base(x) + scale * x A^T B^T``."""

    def test(function):
        for square in (True, False):
            base, A, B, x, scale = _lora_case(square)
            with torch.no_grad():
                got = function(x, base, A, B, scale)
            expected = base(x) + scale * (x @ A.T @ B.T)
            if _close(got, expected):
                continue
            core.expect(
                not _close(got, base(x) + x @ A.T @ B.T),
                "the update is scaled: multiply it by scale = alpha / r.",
            )
            core.expect(
                not _close(got, scale * (x @ A.T @ B.T)),
                "keep the frozen layer's own output: base(x) + the update.",
            )
            if square:
                core.expect(
                    not _close(got, base(x) + scale * (x @ B.T @ A.T)),
                    "A comes first: x goes down to r dimensions with A (r, in), then up with B (out, r).",
                )
            raise core.Wrong(
                f"expected base(x) + scale * x A^T B^T, shape {tuple(expected.shape)}: "
                "compare yours on a small x."
            )

    return core.run("Exercise 2 (the LoRA layer)", answer, test)


def merge(answer) -> core.Result:
    """Exercise 3: ``answer(weight, A, B, scale)`` is ``weight + scale * B @ A``; merged equals unmerged."""

    def test(function):
        for square in (True, False):
            base, A, B, x, scale = _lora_case(square)
            with torch.no_grad():
                got = function(base.weight, A, B, scale)
            expected = adapters.merge(base.weight, A, B, scale)
            if _close(got, expected):
                with torch.no_grad():
                    merged = x @ got.T + base.bias
                    unmerged = base(x) + scale * (x @ A.T @ B.T)
                core.expect(
                    torch.allclose(merged, unmerged, atol=1e-4),
                    "the merged layer's outputs differ from the unmerged ones.",
                )
                continue
            core.expect(
                not _close(got, base.weight + B @ A),
                "the update is scaled: add scale * (B @ A), scale = alpha / r.",
            )
            if square:
                core.expect(
                    not _close(got, base.weight + scale * (A.T @ B.T)),
                    "that is the update transposed: a Linear stores its weight as (out, in), "
                    "and B @ A is (out, in).",
                )
                core.expect(
                    not _close(got, base.weight + scale * (A @ B)),
                    "B @ A, not A @ B: B is (out, r), A is (r, in).",
                )
            raise core.Wrong(f"expected weight + scale * B @ A, shape {tuple(expected.shape)}.")

    return core.run("Exercise 3 (merging LoRA)", answer, test)
