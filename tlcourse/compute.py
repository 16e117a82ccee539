"""Compute: parameters, training FLOPs a token, and training throughput against a timed matrix product.

Lesson 04 counts parameters and FLOPs to plot pretraining loss against compute rather than steps;
lesson 05 measures how fast fine-tuning runs: real (unpadded) tokens a second, the model FLOPs they
stand for, and that rate as a fraction of what a plain float32 matrix product reaches on the same
machine. The FLOP count is PaLM's accounting (Chowdhery et al. 2022, appendix B): ``6 N + 12 L T d``
a token for a forward and backward pass.

>>> training_flops(1_000_000, layers=2, sequence=64, width=128)
6196608
"""

from __future__ import annotations

import time

import torch


def parameter_counts(model: torch.nn.Module) -> dict[str, int]:
    """``total`` parameters and ``non_embedding`` ones (token and position embeddings left out)."""
    total = sum(p.numel() for p in model.parameters())
    embedding = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Embedding))
    return {"total": total, "non_embedding": total - embedding}


def training_flops(non_embedding: int, *, layers: int, sequence: int, width: int) -> float:
    """Training FLOPs a token: ``6 N + 12 L T d`` (PaLM, Chowdhery et al. 2022, appendix B).

    ``N`` non-embedding parameters (2 FLOPs a weight forward, 4 backward), plus attention's score and
    value products over a sequence of ``T`` in each of ``L`` layers of width ``d``.
    """
    return 6 * non_embedding + 12 * layers * sequence * width


def flop_counter(model: torch.nn.Module):
    """``sequence -> training FLOPs a token`` for ``model``, its parameters counted once (asked every batch).

    ``model.config`` gives the layers and width: a ``transformers`` model's, or a
    :class:`tlcourse.finetuning.Classifier`'s (its encoder's config).
    """
    config = model.config
    n = parameter_counts(model)["non_embedding"]
    layers = getattr(config, "num_hidden_layers", None) or config.n_layers
    width = getattr(config, "hidden_size", None) or config.dim
    return lambda sequence: training_flops(n, layers=layers, sequence=sequence, width=width)


def flops_per_token(model: torch.nn.Module, sequence: int) -> float:
    """:func:`training_flops` of ``model`` on sequences of ``sequence`` tokens."""
    return flop_counter(model)(sequence)


def new_record() -> dict:
    """An empty training record: per-step ``loss``, then ``real_tokens``, ``padded_tokens``, ``seconds``,
    ``flops`` summed over the run."""
    return {"loss": [], "real_tokens": 0, "padded_tokens": 0, "seconds": 0.0, "flops": 0.0}


def tally(record: dict, inputs: dict[str, torch.Tensor], flops_at) -> None:
    """Add one batch's real and padded tokens, and the model FLOPs of its real tokens, to ``record``."""
    real = int(inputs["attention_mask"].sum())
    record["real_tokens"] += real
    record["padded_tokens"] += inputs["attention_mask"].numel()
    record["flops"] += real * flops_at(inputs["input_ids"].shape[1])


def matmul_flops_per_second(size: int = 2048, *, repeats: int = 5, device: str = "cpu") -> float:
    """FLOP/s of a float32 ``size x size`` matrix product on ``device``: the best of ``repeats`` timings."""
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=generator).to(device)
    b = torch.randn(size, size, generator=generator).to(device)
    best = float("inf")
    for _ in range(repeats + 1):  # the first is a warm-up
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        started = time.perf_counter()
        (a @ b).sum().item()
        best = min(best, time.perf_counter() - started)
    return 2 * size**3 / best


def throughput(record: dict, matmul: float) -> dict:
    """Real tokens/s, model FLOP/s and their share of the timed matmul's FLOP/s, from a training record."""
    return {
        "tokens_per_s": record["real_tokens"] / record["seconds"],
        "padding_share": 1 - record["real_tokens"] / record["padded_tokens"],
        "model_flops_per_s": record["flops"] / record["seconds"],
        "matmul_flops_per_s": matmul,
        "fraction_of_matmul": record["flops"] / record["seconds"] / matmul,
    }
