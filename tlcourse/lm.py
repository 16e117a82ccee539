"""Small language models from ``transformers`` configs, pretrained from scratch: next-word and masked.

Lesson 04 builds both objectives by hand (:func:`shift_for_next_word`, :func:`mask_tokens`), checks
them against the library, and trains models with :func:`train`: AdamW, linear warm-up, cosine decay,
on packed blocks of token ids, recording loss against tokens seen, compute (:mod:`tlcourse.compute`)
and wall time. Over 350 lines (in ruff's layout) because both objectives share the models, the loop and
its evaluation, and lesson 04 reads them side by side.

>>> from tlcourse import lm
>>> model = lm.build(lm.ModelConfig(kind="causal", layers=2), vocab_size=4096, seed=0)  # doctest: +SKIP
>>> history = lm.train(model, blocks, lm.TrainConfig(steps=300), valid=valid, seed=0)   # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import math
import time

import torch
import torch.nn.functional as F

from tlcourse import compute, folds

IGNORE = -100  # the label PyTorch's cross_entropy skips


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """A small GPT-2 (``kind="causal"``) or BERT (``kind="masked"``) from its config."""

    kind: str = "causal"
    layers: int = 2
    width: int = 128
    heads: int = 4  # 32 dimensions a head
    context: int = 64  # tokens a block: two or three Wikipedia sentences
    dropout: float = 0.0  # minutes of training see each token a few times at most: nothing to regularise


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """AdamW with linear warm-up and cosine decay, on batches of packed blocks."""

    steps: int = 300
    batch: int = 32
    lr: float = 2e-3  # tuned: see the lesson's learning-rate sweep; tiny models take large rates
    warmup: float = 0.06  # share of the steps
    weight_decay: float = 0.01
    clip: float = 1.0
    eval_every: int = 50
    mask_probability: float = 0.15  # masked models only


def build(config: ModelConfig, *, vocab_size: int, seed: int, special_ids: dict[str, int] | None = None):
    """A freshly initialised ``GPT2LMHeadModel`` or ``BertForMaskedLM`` (eval mode off, on the CPU).

    ``seed`` draws the initial weights (inside :func:`tlcourse.folds.torch_seeded`: torch's global
    generator is left as it was).
    """
    with folds.torch_seeded(seed):
        return _build(config, vocab_size=vocab_size, special_ids=special_ids or {})


def _build(config: ModelConfig, *, vocab_size: int, special_ids: dict[str, int]):
    import transformers

    if config.kind == "causal":
        hf_config = transformers.GPT2Config(
            vocab_size=vocab_size,
            n_positions=config.context,
            n_embd=config.width,
            n_layer=config.layers,
            n_head=config.heads,
            resid_pdrop=config.dropout,
            embd_pdrop=config.dropout,
            attn_pdrop=config.dropout,
            bos_token_id=special_ids.get("sep", 0),
            eos_token_id=special_ids.get("sep", 0),
            pad_token_id=special_ids.get("pad", 0),
        )
        return transformers.GPT2LMHeadModel(hf_config)
    if config.kind == "masked":
        hf_config = transformers.BertConfig(
            vocab_size=vocab_size,
            hidden_size=config.width,
            num_hidden_layers=config.layers,
            num_attention_heads=config.heads,
            intermediate_size=4 * config.width,
            max_position_embeddings=config.context,
            hidden_dropout_prob=config.dropout,
            attention_probs_dropout_prob=config.dropout,
            pad_token_id=special_ids.get("pad", 0),
        )
        return transformers.BertForMaskedLM(hf_config)
    raise ValueError(f"kind must be 'causal' or 'masked', not {config.kind!r}.")


# --- the two objectives ----------------------------------------------------------------------------


def shift_for_next_word(logits: torch.Tensor, input_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Predictions and targets of next-word prediction: logits ``(B, T, V)`` -> ``(B*(T-1), V)``,
    ``(B*(T-1),)``.

    Position ``t`` predicts token ``t + 1``: drop the last prediction and the first target.
    """
    return logits[:, :-1].reshape(-1, logits.size(-1)), input_ids[:, 1:].reshape(-1)


def next_word_loss(logits: torch.Tensor, input_ids: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of predicting each next token (what ``GPT2LMHeadModel(labels=ids)`` computes)."""
    return F.cross_entropy(*shift_for_next_word(logits, input_ids))


def mask_tokens(
    input_ids: torch.Tensor,
    *,
    mask_id: int,
    vocab_size: int,
    special_ids: tuple[int, ...] = (),
    probability: float = 0.15,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's corruption: ``(inputs, labels)``, both shaped like ``input_ids`` ``(B, T)``.

    Each non-special token is chosen with ``probability``; a chosen one becomes ``[MASK]`` 80% of the
    time, a random token 10%, stays itself 10%. Labels hold the original token where chosen and
    ``-100`` elsewhere. ``input_ids`` is not modified.
    """
    chosen = torch.rand(input_ids.shape, generator=generator) < probability
    for special in special_ids:
        chosen &= input_ids != special
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, IGNORE))
    action = torch.rand(input_ids.shape, generator=generator)
    random_tokens = torch.randint(vocab_size, input_ids.shape, generator=generator)
    inputs = torch.where(chosen & (action < 0.8), torch.full_like(input_ids, mask_id), input_ids)
    inputs = torch.where(chosen & (action >= 0.8) & (action < 0.9), random_tokens, inputs)
    return inputs, labels


# --- compute and memory ----------------------------------------------------------------------------


def activation_bytes(model, batch: dict[str, torch.Tensor]) -> int:
    """Bytes of the tensors autograd keeps for the backward pass of one forward on ``batch``.

    Counted with ``saved_tensors_hooks``, each storage once; parameters are left out.
    """
    parameters = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in parameters:
            seen[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        model(**batch).loss  # noqa: B018 (the forward pass is what records the saved tensors)
    return sum(seen.values())


def training_memory(model, batch: dict[str, torch.Tensor]) -> int:
    """Bytes a training step needs: weights, gradients and AdamW's two moments (16 B a float32
    parameter) plus the activations saved for backward."""
    return 16 * compute.parameter_counts(model)["total"] + activation_bytes(model, batch)


# --- training and evaluation -----------------------------------------------------------------------


def training_loss(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The loss of one forward pass on ``batch`` (from :func:`make_batch`): what ``model(**batch).loss``
    gives.

    A masked model has a target at only the chosen positions (15%, or whatever ``mask_probability`` says), so
    its vocabulary head, which costs as much as the rest of this small model, is run on those positions only.
    """
    if model.config.model_type != "bert":
        return model(**batch).loss
    labels = batch["labels"]
    chosen = labels != IGNORE
    hidden = model.bert(input_ids=batch["input_ids"]).last_hidden_state  # (B, T, width)
    return F.cross_entropy(model.cls(hidden[chosen]), labels[chosen])  # head on (chosen, width) only


def make_batch(
    model,
    blocks: torch.Tensor,
    *,
    mask_id: int | None = None,
    special_ids: tuple[int, ...] = (),
    probability: float = 0.15,
    generator: torch.Generator | None = None,
) -> dict[str, torch.Tensor]:
    """The keyword arguments of one forward pass: next-word labels for GPT-2, masked ones for BERT."""
    if model.config.model_type == "gpt2":
        return {"input_ids": blocks, "labels": blocks}
    inputs, labels = mask_tokens(
        blocks,
        mask_id=mask_id,
        vocab_size=model.config.vocab_size,
        special_ids=special_ids,
        probability=probability,
        generator=generator,
    )
    return {"input_ids": inputs, "labels": labels}


@torch.no_grad()
def evaluate(
    model,
    blocks: torch.Tensor,
    *,
    batch: int = 64,
    mask_id: int | None = None,
    special_ids: tuple[int, ...] = (),
    seed: int = 0,
    device: str = "cpu",
) -> dict[str, float]:
    """Held-out ``loss`` (nats per predicted token) and top-1 ``accuracy`` over ``blocks`` ``(n, T)``.

    Masked models are scored on one fixed draw of masks (``seed``), so every checkpoint sees the same.
    """
    was_training = model.training
    model.eval()
    # one draw of masks for all blocks: mask_tokens(blocks, ..., generator seeded with seed) repeats it
    everything = make_batch(
        model, blocks, mask_id=mask_id, special_ids=special_ids, generator=torch.Generator().manual_seed(seed)
    )
    total_loss, correct, count = 0.0, 0, 0
    for start in range(0, len(blocks), batch):
        inputs, labels = (
            everything["input_ids"][start : start + batch],
            everything["labels"][start : start + batch],
        )
        logits = model(input_ids=inputs.to(device)).logits.float().cpu()
        if model.config.model_type == "gpt2":
            predictions, targets = shift_for_next_word(logits, labels)
        else:
            keep = labels != IGNORE
            predictions, targets = logits[keep], labels[keep]
        total_loss += F.cross_entropy(predictions, targets, reduction="sum").item()
        correct += (predictions.argmax(-1) == targets).sum().item()
        count += targets.numel()
    model.train(was_training)
    return {"loss": total_loss / count, "accuracy": correct / count}


def train(
    model,
    blocks: torch.Tensor,
    config: TrainConfig,
    *,
    valid: torch.Tensor | None = None,
    seed: int,
    mask_id: int | None = None,
    special_ids: tuple[int, ...] = (),
    device: str = "cpu",
    flops: float | None = None,
    progress: bool = True,
) -> list[dict]:
    """Train ``model`` in place on random batches of ``blocks`` ``(n, T)``; returns the history.

    One row every ``eval_every`` steps: ``step``, ``tokens`` seen, ``flops`` (``flops`` a token times
    tokens, if given), ``seconds`` of training so far, mean ``train_loss`` since the last row, and
    ``valid_loss`` / ``valid_accuracy`` when ``valid`` blocks are given.
    """
    import transformers
    from tqdm.auto import tqdm

    generator = torch.Generator().manual_seed(seed)
    model.to(device).train()
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.lr,
    )
    schedule = transformers.get_cosine_schedule_with_warmup(
        optimizer, math.ceil(config.warmup * config.steps), config.steps
    )
    history, running, seconds = [], [], 0.0
    evaluation = dict(mask_id=mask_id, special_ids=special_ids, seed=seed, device=device)
    for step in tqdm(
        range(1, config.steps + 1), desc=f"train {model.config.model_type}", disable=not progress
    ):
        started = time.perf_counter()
        rows = torch.randint(len(blocks), (config.batch,), generator=generator)
        kwargs = make_batch(
            model,
            blocks[rows],
            mask_id=mask_id,
            special_ids=special_ids,
            probability=config.mask_probability,
            generator=generator,
        )
        loss = training_loss(model, {k: v.to(device) for k, v in kwargs.items()})
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
        optimizer.step()
        schedule.step()
        running.append(loss.item())
        seconds += time.perf_counter() - started
        if step % config.eval_every == 0 or step == config.steps:
            tokens = step * config.batch * blocks.shape[1]
            row = {
                "step": step,
                "tokens": tokens,
                "seconds": seconds,
                "train_loss": sum(running) / len(running),
            }
            if flops is not None:
                row["flops"] = flops * tokens
            if valid is not None and model.config.model_type == "bert":
                # one pass scores every chosen position by kind; the [MASK] ones are where context must be
                # read
                kinds = masked_scores_by_kind(
                    model, valid.to("cpu"), mask_id=mask_id, special_ids=special_ids, seed=seed
                )
                scored = [kind for kind in kinds.values() if kind["count"]]
                count = sum(kind["count"] for kind in scored)
                row |= {
                    "valid_loss": sum(kind["loss"] * kind["count"] for kind in scored)
                    / count,  # = evaluate()'s
                    "valid_accuracy": sum(kind["accuracy"] * kind["count"] for kind in scored) / count,
                    "valid_mask_loss": kinds["mask"]["loss"],
                    "valid_mask_accuracy": kinds["mask"]["accuracy"],
                }
            elif valid is not None:
                scores = evaluate(model, valid, **evaluation)
                row |= {"valid_loss": scores["loss"], "valid_accuracy": scores["accuracy"]}
            history.append(row)
            running = []
    model.eval()
    return history


# --- what the models say ---------------------------------------------------------------------------


def sample(
    model, tokenizer, prompt: str, *, seed: int, new_tokens: int = 20, top_k: int = 40, device: str = "cpu"
) -> str:
    """A continuation of ``prompt`` drawn from a causal model (top-``k`` sampling), decoded to text."""
    ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"].to(device)
    with folds.torch_seeded(seed, device=device):  # generate() draws from torch's global generator
        out = model.generate(
            ids,
            do_sample=True,
            top_k=top_k,
            max_new_tokens=new_tokens,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=None,
        )
    return tokenizer.decode(out[0], skip_special_tokens=False)


def fill_mask(model, tokenizer, text: str, *, k: int = 5) -> list[tuple[str, float]]:
    """The ``k`` likeliest tokens for the ``[MASK]`` in ``text`` with their probabilities (the library's
    pipeline)."""
    import transformers

    fill = transformers.pipeline("fill-mask", model=model, tokenizer=tokenizer, device="cpu", top_k=k)
    return [(row["token_str"], row["score"]) for row in fill(text)]


@torch.no_grad()
def masked_scores_by_kind(
    model,
    blocks: torch.Tensor,
    *,
    mask_id: int,
    special_ids: tuple[int, ...] = (),
    seed: int = 0,
    batch: int = 64,
) -> dict[str, dict]:
    """Held-out masked-LM loss split by what the chosen position showed the model: ``[MASK]``, a random
    token, or the original token kept. Same mask draw as :func:`evaluate` with the same ``seed``.

    Returns ``{kind: {"loss", "accuracy", "count", "targets"}}`` for kinds ``mask``, ``random``, ``kept``.
    """
    was_training = model.training
    model.eval()
    inputs, labels = mask_tokens(
        blocks,
        mask_id=mask_id,
        vocab_size=model.config.vocab_size,
        special_ids=special_ids,
        generator=torch.Generator().manual_seed(seed),
    )
    chosen = labels != IGNORE
    kinds = {"mask": chosen & (inputs == mask_id), "kept": chosen & (inputs == blocks)}
    kinds["random"] = chosen & ~kinds["mask"] & ~kinds["kept"]
    # Keep only the chosen positions' logits (about 15%): all of them would be (blocks, T, vocab) floats.
    device = next(model.parameters()).device
    with torch.inference_mode():
        logits = torch.cat(
            [
                model(input_ids=inputs[i : i + batch].to(device)).logits.float().cpu()[chosen[i : i + batch]]
                for i in range(0, len(blocks), batch)
            ]
        )  # (chosen positions, vocab), in the row-major order of ``chosen``
    model.train(was_training)
    return {
        kind: {
            "loss": F.cross_entropy(logits[where[chosen]], labels[where]).item(),
            "accuracy": (logits[where[chosen]].argmax(-1) == labels[where]).float().mean().item(),
            "count": int(where.sum()),
            "targets": labels[where],
        }
        for kind, where in kinds.items()
    }
