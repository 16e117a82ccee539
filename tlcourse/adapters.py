"""Parameter-efficient transfer: LoRA and bottleneck adapters put into a frozen encoder, trained, merged.

Lesson 09 builds them. :class:`LoRALinear` adds a low-rank update ``(alpha / r) B A`` beside a frozen
``torch.nn.Linear`` (Hu et al. 2021); :class:`Bottleneck` is Houlsby et al.'s (2019) adapter, a small
down-project, GELU, up-project with a residual, placed after a layer's attention output and after its
feed-forward output. :func:`add_lora` and :func:`add_bottlenecks` put them into an encoder by module
name and freeze the rest; :func:`train` fine-tunes only what still requires gradients, with lesson 05's
batches, schedule and loop; :func:`merge_lora` folds LoRA into the weights (``W + (alpha/r) B A``).

Shapes: ``x`` is ``(..., in)``; ``A`` is ``(r, in)``, ``B`` is ``(out, r)``; a Linear's weight ``(out, in)``.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence

import numpy
import torch

from tlcourse import env, finetuning, folds

#: Which Linear layers LoRA adapts (query and value, as Hu et al. did) in each encoder family.
LORA_TARGETS = {"bert": ("query", "value"), "mpnet": ("q", "v"), "distilbert": ("q_lin", "v_lin")}
#: Where Houlsby's adapters go: after the attention output projection and after the feed-forward output.
BOTTLENECK_TARGETS = {
    "bert": r".*layer\.\d+\.(attention\.output\.dense|output\.dense)",
    "mpnet": r".*layer\.\d+\.(attention\.attn\.o|output\.dense)",
    "distilbert": r".*layer\.\d+\.(attention\.out_lin|ffn\.lin2)",
}


def merge(weight: torch.Tensor, A: torch.Tensor, B: torch.Tensor, scale: float) -> torch.Tensor:
    """LoRA folded into the weight: ``W + scale * B @ A``, ``(out, in)``. Lesson 09's third exercise."""
    return weight + scale * (B @ A)


class LoRALinear(torch.nn.Module):
    """A frozen ``Linear`` plus a trainable rank-``r`` update: ``y = base(x) + (alpha / r) * x A^T B^T``.

    ``A`` starts random (Kaiming-uniform, as ``peft`` does) and ``B`` at zero, so the adapted model
    starts exactly as the pretrained one. Lesson 09's second exercise writes :meth:`forward`.
    """

    def __init__(
        self,
        base: torch.nn.Linear,
        r: int = 8,
        alpha: float = 16,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        if r < 1:
            raise ValueError(f"LoRA's rank r must be at least 1, got {r}.")
        self.base, self.r, self.scale = base, r, alpha / r
        base.weight.requires_grad_(False)
        if base.bias is not None:
            base.bias.requires_grad_(False)
        self.A = torch.nn.Parameter(torch.empty(r, base.in_features, device=base.weight.device))
        torch.nn.init.kaiming_uniform_(self.A, a=math.sqrt(5), generator=generator)
        self.B = torch.nn.Parameter(torch.zeros(base.out_features, r, device=base.weight.device))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + self.scale * (x @ self.A.T @ self.B.T)

    def merged(self, merge: Callable = merge) -> torch.nn.Linear:
        """A ``Linear`` with weight ``merge(W, A, B, scale)``: the same outputs, no extra inference work."""
        out = torch.nn.Linear(
            self.base.in_features,
            self.base.out_features,
            bias=self.base.bias is not None,
            device=self.base.weight.device,
        )
        with torch.no_grad():
            out.weight.copy_(merge(self.base.weight, self.A, self.B, self.scale))
            if self.base.bias is not None:
                out.bias.copy_(self.base.bias)
        return out


class Bottleneck(torch.nn.Module):
    """Houlsby's adapter after ``base``: ``h = base(x)``, then ``h + up(gelu(down(h)))``; ``(..., D)``.

    ``size`` is the bottleneck's width; ``up`` starts near zero so the adapter starts near the identity.
    """

    def __init__(self, base: torch.nn.Linear, size: int = 16, *, generator: torch.Generator | None = None):
        super().__init__()
        width = base.out_features
        self.base = base
        self.down = torch.nn.Linear(width, size, device=base.weight.device)
        self.up = torch.nn.Linear(size, width, device=base.weight.device)
        for linear in (self.down, self.up):  # Houlsby: near-identity initialisation, weights ~ N(0, 1e-2)
            torch.nn.init.normal_(linear.weight, std=1e-2, generator=generator)
            torch.nn.init.zeros_(linear.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.base(x)
        return h + self.up(torch.nn.functional.gelu(self.down(h)))


def _replace(
    model: torch.nn.Module, wanted: Callable[[str], bool], make: Callable[[torch.nn.Linear], torch.nn.Module]
) -> int:
    """Replace each ``Linear`` whose qualified name satisfies ``wanted`` by ``make(linear)``; the count."""
    chosen = [
        name for name, module in model.named_modules() if isinstance(module, torch.nn.Linear) and wanted(name)
    ]
    for name in chosen:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, make(getattr(parent, child)))
    return len(chosen)


def _family(model: torch.nn.Module) -> str:
    config = getattr(model, "config", None)
    family = getattr(config, "model_type", None)
    if family not in LORA_TARGETS:
        raise ValueError(
            f"No adapter placement is known for model_type {family!r}; known: {', '.join(LORA_TARGETS)}."
        )
    return family


def freeze(model: torch.nn.Module) -> None:
    """Stop gradients to every parameter of ``model``."""
    for p in model.parameters():
        p.requires_grad_(False)


def add_lora(
    encoder: torch.nn.Module,
    *,
    r: int = 8,
    alpha: float = 16,
    targets: Sequence[str] | None = None,
    seed: int,
    lora: type = LoRALinear,
) -> torch.nn.Module:
    """Freeze ``encoder``; wrap its ``targets`` Linears (default: query, value) in ``lora``, in place."""
    targets = tuple(targets or LORA_TARGETS[_family(encoder)])
    freeze(encoder)
    generator = torch.Generator().manual_seed(seed)
    count = _replace(
        encoder,
        lambda name: name.rsplit(".", 1)[-1] in targets,
        lambda linear: lora(linear, r=r, alpha=alpha, generator=generator),
    )
    if not count:
        raise ValueError(f"No Linear layer is named {targets} in {type(encoder).__name__}: pass targets=.")
    return encoder


def add_bottlenecks(
    encoder: torch.nn.Module, *, size: int = 16, seed: int, train_layer_norms: bool = True
) -> torch.nn.Module:
    """Freeze ``encoder``, put a :class:`Bottleneck` after each attention and feed-forward output.

    The LayerNorms train too, as in Houlsby et al.
    """
    pattern = re.compile(BOTTLENECK_TARGETS[_family(encoder)])
    freeze(encoder)
    generator = torch.Generator().manual_seed(seed)
    count = _replace(
        encoder,
        lambda name: pattern.fullmatch(name) is not None,
        lambda linear: Bottleneck(linear, size, generator=generator),
    )
    if not count:
        raise ValueError(f"No Linear layer of {type(encoder).__name__} matches {pattern.pattern}.")
    if train_layer_norms:
        for module in encoder.modules():
            if isinstance(module, torch.nn.LayerNorm):
                module.requires_grad_(True)
    return encoder


def merge_lora(model: torch.nn.Module, *, merge: Callable = merge) -> torch.nn.Module:
    """Replace each :class:`LoRALinear` in ``model`` by its merged ``Linear`` (``merge`` folds it)."""
    chosen = [name for name, module in model.named_modules() if isinstance(module, LoRALinear)]
    for name in chosen:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, getattr(parent, child).merged(merge))
    return model


def trainable_share(model: torch.nn.Module) -> tuple[int, int]:
    """``(trainable, total)`` parameter counts."""
    params = list(model.parameters())
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)


def trainable_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The tensors that training changed (those requiring gradients): what an adapter checkpoint must hold."""
    return {name: p.detach().cpu() for name, p in model.named_parameters() if p.requires_grad}


def saved_bytes(tensors: dict[str, torch.Tensor]) -> int:
    """The size of ``tensors`` written as one safetensors file, in bytes."""
    from safetensors.torch import save

    return len(save({k: v.contiguous() for k, v in tensors.items()}))


def train(
    model: torch.nn.Module,
    tokenizer,
    texts: Sequence[str],
    labels: Sequence[int],
    config: finetuning.FineTuneConfig,
    *,
    seed: int,
    device: str = "cpu",
    loop=finetuning.fit,
) -> dict:
    """Fine-tune only the parameters that require gradients (adapters, head) with lesson 05's batches, loop.

    Returns ``{"loss": per-step losses, "seconds": the loop's time, "epochs"}``. Unlike
    :func:`tlcourse.finetuning.train` nothing is unfrozen: the frozen encoder stays frozen.
    """
    ids = finetuning.tokenize(tokenizer, texts, max_length=config.max_length)
    lengths = [len(row) for row in ids]
    labels = torch.as_tensor(numpy.asarray(labels), dtype=torch.long)
    epochs, per_epoch = finetuning.steps_per_epoch(len(ids), config)
    model.to(device).train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.lr, weight_decay=config.weight_decay)
    scheduler = finetuning.schedule(optimizer, epochs * per_epoch, config.warmup)
    record = {"loss": [], "seconds": 0.0, "epochs": epochs}
    for epoch in range(epochs):
        batches = []
        for batch in finetuning.batches_for(lengths, config, seed=finetuning.epoch_seed(seed, epoch)):
            inputs = finetuning.collate([ids[i] for i in batch], pad_id=tokenizer.pad_token_id)
            batches.append(
                {k: v.to(device) for k, v in inputs.items()} | {"labels": labels[batch].to(device)}
            )
        started = time.perf_counter()
        with folds.torch_seeded(folds.derived_seed(seed, epoch), device=device):  # dropout, locally seeded
            record["loss"] += loop(model, batches, optimizer, scheduler, clip=config.clip, progress=False)
        record["seconds"] += time.perf_counter() - started
    model.eval()
    del optimizer, scheduler
    env.release_memory(collect=False)
    return record


def scored(
    make_model: Callable[[int], torch.nn.Module],
    tokenizer,
    dataset,
    config: finetuning.FineTuneConfig,
    *,
    seed: int = 0,
    device: str = "cpu",
    seconds: list | None = None,
) -> Callable[[numpy.ndarray, numpy.ndarray, int], float]:
    """``make_model`` trained with :func:`train`, as a :data:`tlcourse.label_efficiency.Score`.

    ``score(train_indices, test_indices, repeat)`` builds the model with ``derived_seed(seed, repeat, 0)``
    and trains it with ``derived_seed(seed, repeat)``, as lesson 05's fine-tuned runs are seeded, so
    :func:`tlcourse.label_efficiency.curve` puts it on lesson 05's splits and label draws. Each run's
    seconds an epoch are appended to ``seconds`` when it is a list.
    """
    from tlcourse import label_efficiency

    def keep(n_train: int, repeat: int, record: dict) -> None:
        if seconds is not None:
            seconds.append(record["seconds"] / record["epochs"])

    return label_efficiency.trained_with(
        make_model, train, tokenizer, dataset, config, seed=seed, device=device, on_record=keep
    )


def peft_names(state: dict[str, torch.Tensor], *, adapter: str = "default") -> dict[str, torch.Tensor]:
    """Hand-made LoRA tensors named as ``peft`` names them.

    ``x.query.A`` becomes ``base_model.model.x.query.lora_A.default.weight``.
    """
    renamed = {}
    for name, tensor in state.items():
        stem, _, last = name.rpartition(".")
        if last in ("A", "B"):
            renamed[f"base_model.model.{stem}.lora_{last}.{adapter}.weight"] = tensor
    return renamed
