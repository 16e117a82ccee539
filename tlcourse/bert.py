"""A BERT encoder written out in plain tensor operations, reading a checkpoint's raw safetensors.

Lesson 09 builds it to open the box that ``AutoModel`` is: word, position and segment embeddings
and their LayerNorm; then per layer self-attention with the additive padding mask, a residual and
LayerNorm (post-LN), the feed-forward block (GELU), another residual and LayerNorm. Every hidden
state equals ``transformers``' ``output_hidden_states`` to float precision (tested).

Shapes: ``B`` texts, ``T`` word pieces, ``D`` the width, ``H`` heads, ``d = D / H``.

>>> from tlcourse import assets, bert
>>> folder = assets.path("encoder")                              # doctest: +SKIP
>>> weights, shape = bert.read_weights(folder), bert.read_shape(folder)  # doctest: +SKIP
>>> states = bert.encode(weights, shape, input_ids, attention_mask)      # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

#: Prefixes some checkpoints put before the encoder's names (BERT-base's ``bert.``; heads are ignored).
_PREFIXES = ("bert.", "model.")


@dataclasses.dataclass(frozen=True)
class Shape:
    """What the encoder's config says about its shape: layers, heads, width, LayerNorm's epsilon."""

    layers: int
    heads: int
    width: int
    eps: float = 1e-12  # BERT's LayerNorm epsilon (config ``layer_norm_eps``)


def read_shape(folder: Path) -> Shape:
    """The :class:`Shape` in ``folder/config.json``; a clear error for a model that is not BERT-shaped."""
    config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    if config.get("model_type") != "bert" or config.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError(
            f"{folder} holds a {config.get('model_type')!r} model; this hand-written encoder reads BERT "
            "checkpoints (model_type 'bert', absolute positions) only. Use the packaged encoder: "
            "assets.path('encoder', 'tiny')."
        )
    return Shape(
        config["num_hidden_layers"],
        config["num_attention_heads"],
        config["hidden_size"],
        config.get("layer_norm_eps", 1e-12),
    )


def read_weights(folder: Path) -> dict[str, torch.Tensor]:
    """Every tensor of ``folder/model.safetensors`` by name, with a ``bert.`` prefix (if any) removed.

    safetensors holds only named arrays and a JSON header: reading it runs no code (unlike a pickle).
    """
    from safetensors.torch import load_file

    path = Path(folder) / "model.safetensors"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: point at a folder holding a model.safetensors checkpoint."
        )
    weights = {}
    for name, tensor in load_file(str(path)).items():
        for prefix in _PREFIXES:
            name = name.removeprefix(prefix)
        weights[name] = tensor.float()
    return weights


def linear(x: torch.Tensor, weights: dict[str, torch.Tensor], name: str) -> torch.Tensor:
    """``x @ W.T + b``: ``name.weight`` ``(out, in)``, ``name.bias`` ``(out,)``, as in ``torch.nn.Linear``."""
    return x @ weights[f"{name}.weight"].T + weights[f"{name}.bias"]


def layer_norm(x: torch.Tensor, weights: dict[str, torch.Tensor], name: str, eps: float) -> torch.Tensor:
    """LayerNorm over the last axis with ``name.weight`` and ``name.bias``."""
    return F.layer_norm(x, x.shape[-1:], weights[f"{name}.weight"], weights[f"{name}.bias"], eps)


def embed(
    weights: dict[str, torch.Tensor],
    input_ids: torch.Tensor,
    shape: Shape,
    token_type_ids: torch.Tensor | None = None,
) -> torch.Tensor:
    """Word + position + segment embeddings, then LayerNorm: ``(B, T)`` ids -> ``(B, T, D)``."""
    positions = torch.arange(input_ids.shape[1], device=input_ids.device)
    segments = torch.zeros_like(input_ids) if token_type_ids is None else token_type_ids
    x = (
        weights["embeddings.word_embeddings.weight"][input_ids]
        + weights["embeddings.position_embeddings.weight"][positions]
        + weights["embeddings.token_type_embeddings.weight"][segments]
    )
    return layer_norm(x, weights, "embeddings.LayerNorm", shape.eps)


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Attention with an additive padding mask: ``(B, H, T, d)`` x3, mask ``(B, T)`` -> ``(B, H, T, d)``.

    ``softmax(q k^T / sqrt(d) + m) v`` where ``m`` is 0 at real keys and the dtype's most negative number
    at padding (``mask == 0``), so padded keys get no weight. Lesson 09's first exercise.
    """
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])  # (B, H, T, T)
    additive = (1.0 - mask[:, None, None, :].to(scores.dtype)) * torch.finfo(scores.dtype).min
    return torch.softmax(scores + additive, dim=-1) @ v


def _heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """``(B, T, D)`` -> ``(B, H, T, d)``."""
    b, t, d = x.shape
    return x.view(b, t, heads, d // heads).transpose(1, 2)


def layer(
    x: torch.Tensor,
    mask: torch.Tensor,
    weights: dict[str, torch.Tensor],
    index: int,
    shape: Shape,
    attend: Callable = attention,
) -> torch.Tensor:
    """One layer ``(B, T, D) -> (B, T, D)``: attention, add + LayerNorm, feed-forward, add + LayerNorm."""
    p = f"encoder.layer.{index}"
    q, k, v = (
        _heads(linear(x, weights, f"{p}.attention.self.{n}"), shape.heads) for n in ("query", "key", "value")
    )
    mixed = attend(q, k, v, mask).transpose(1, 2).reshape(x.shape)  # heads back side by side: (B, T, D)
    x = layer_norm(
        x + linear(mixed, weights, f"{p}.attention.output.dense"),
        weights,
        f"{p}.attention.output.LayerNorm",
        shape.eps,
    )
    hidden = F.gelu(linear(x, weights, f"{p}.intermediate.dense"))  # (B, T, 4D); BERT's exact (erf) GELU
    return layer_norm(
        x + linear(hidden, weights, f"{p}.output.dense"), weights, f"{p}.output.LayerNorm", shape.eps
    )


@torch.no_grad()
def encode(
    weights: dict[str, torch.Tensor],
    shape: Shape,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    *,
    attend: Callable = attention,
) -> list[torch.Tensor]:
    """Every hidden state, embeddings first: ``layers + 1`` of ``(B, T, D)``, as ``output_hidden_states``."""
    x = embed(weights, input_ids, shape)
    states = [x]
    for index in range(shape.layers):
        x = layer(x, attention_mask, weights, index, shape, attend)
        states.append(x)
    return states


def largest_difference(mine: list[torch.Tensor], theirs, attention_mask: torch.Tensor) -> list[float]:
    """Per layer, the largest absolute difference of two lists of hidden states at real (unpadded) tokens."""
    real = attention_mask.bool()
    return [float((a[real] - b[real]).abs().max()) for a, b in zip(mine, theirs, strict=True)]
