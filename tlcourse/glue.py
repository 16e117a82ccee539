"""GLUE's sentence-pair tasks as multi-task data: RTE, MRPC and STS-B as targets, MNLI as the auxiliary task.

Lesson 07 in ``small`` and ``full`` repeats MT-DNN's setting (Liu et al. 2019) in miniature: one whole
pretrained encoder fine-tuned on several GLUE tasks at once, a head per task. The data come from the hub's
``nyu-mll/glue`` (parquet, one folder a config: ``rte/train-00000-of-00001.parquet``, ...); every reader
gives ``datasets.Dataset`` s of ``sentence1``, ``sentence2``, ``label`` (MNLI's ``premise`` and
``hypothesis`` renamed), STS-B's label a float 0-5. Test splits are unlabelled and never read. ``tiny``
does not use GLUE: its variant is a placeholder.

>>> from tlcourse import glue
>>> data = glue.load(profile="small")   # doctest: +SKIP
>>> data["rte"]["train"].column_names
['sentence1', 'sentence2', 'label']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy
import torch
import torch.nn.functional as F

from tlcourse import assets, folds, multitask

TARGETS = ("rte", "mrpc", "stsb")  # three small GLUE pair tasks: little data of their own
AUXILIARY = "mnli"
REGRESSION = ("stsb",)  # a head of one output trained with MSE; the others are classifiers
CLASSES = {"rte": 2, "mrpc": 2, "stsb": 1, "mnli": 3}
LABEL_NAMES = {
    "rte": ("entailment", "not_entailment"),
    "mrpc": ("not_equivalent", "equivalent"),
    "mnli": ("entailment", "neutral", "contradiction"),
}
VALIDATION = {"rte": "validation", "mrpc": "validation", "stsb": "validation", "mnli": "validation_matched"}
#: MNLI training pairs kept (of 392,702), drawn with the fold seed. A joint run of lesson 07 draws at most
#: a few hundred MNLI pairs in small (3 x 60 steps x 8 pairs / 4 tasks) and a few thousand a seed in full
#: (3 x 200 x 16 / 4): these caps are over ten times that, so no pair repeats, and reading and tokenizing
#: stay seconds.
MNLI_ROWS = {"small": 5_000, "full": 50_000}


def _pairs(data, config: str):
    """``sentence1, sentence2, label`` only; MNLI's premise/hypothesis renamed, STS-B's label float."""
    import datasets

    if "premise" in data.column_names:
        data = data.rename_columns({"premise": "sentence1", "hypothesis": "sentence2"})
    data = data.select_columns(["sentence1", "sentence2", "label"])
    value = datasets.Value("float32") if config in REGRESSION else datasets.Value("int64")
    return data.cast_column("label", value)


def read(folder: Path, config: str, *, rows: int | None = None) -> dict:
    """``{"train", "validation"}`` of GLUE ``config`` from a hub-layout ``folder``; ``rows`` caps train.

    The cap keeps a fixed subsample (shuffled with ``folds.FOLD_SEED``), the same on every machine.
    """
    if config not in CLASSES:
        raise ValueError(f"unknown GLUE config {config!r}: choose one of {', '.join(CLASSES)}.")
    train = _pairs(assets.read_parquet(folder, f"{config}/train-*.parquet"), config)
    if rows is not None and len(train) > rows:
        train = train.shuffle(seed=folds.FOLD_SEED).select(range(rows)).flatten_indices()
    validation = _pairs(assets.read_parquet(folder, f"{config}/{VALIDATION[config]}-*.parquet"), config)
    return {"train": train, "validation": validation}


def read_all(folder: Path, profile: str) -> dict:
    """``{config: {"train", "validation"}}`` for the four configs, MNLI's train capped at ``MNLI_ROWS``."""
    return {
        config: read(folder, config, rows=MNLI_ROWS.get(profile) if config == AUXILIARY else None)
        for config in (*TARGETS, AUXILIARY)
    }


def load(*, profile: str) -> dict:
    """``{config: {"train", "validation"}}`` of rte, mrpc, stsb and mnli in ``profile`` (small or full)."""
    if profile == "tiny":
        raise ValueError("GLUE is used only in the small and full profiles; tiny has no copy of it.")
    return assets.load("glue", profile)


# --- pairs into the shared encoder -----------------------------------------------------------------------


def pair_ids(
    tokenizer, first: Sequence[str], second: Sequence[str], *, max_length: int = 128
) -> torch.Tensor:
    """Pairs as the tokenizer's pair encoding: ``(n, 2, max_length)``, token ids then token types.

    ``[CLS] first [SEP] second [SEP]`` for BERT-family tokenizers; the longer text is cut first. Types are
    0 for the first text and 1 for the second (all 0 where the tokenizer has none, e.g. MPNet's).
    """
    encoded = tokenizer(
        list(first),
        list(second),
        padding="max_length",
        truncation="longest_first",
        max_length=max_length,
        return_tensors="pt",
    )
    ids = encoded["input_ids"]
    types = encoded.get("token_type_ids", torch.zeros_like(ids))
    return torch.stack([ids, types], dim=1)


class PairModel(multitask.EncoderModel):
    """:class:`multitask.EncoderModel` on pairs: ``(B, 2, T)`` ids and types -> a task's ``(B, classes)``.

    Token types reach the encoder only when it has a segment embedding (BERT, MiniLM; not MPNet).
    """

    def forward(self, x: torch.Tensor, task: str) -> torch.Tensor:
        from tlcourse import sentences

        ids, types = x[:, 0], x[:, 1]
        mask = (ids != self.pad_id).long()
        longest = int(mask.sum(1).max())
        ids, types, mask = ids[:, :longest], types[:, :longest], mask[:, :longest]
        extra = {"token_type_ids": types} if getattr(self.encoder.config, "type_vocab_size", 0) > 1 else {}
        hidden = self.encoder(input_ids=ids, attention_mask=mask, **extra).last_hidden_state  # (B, T, D)
        return self.heads[task](sentences.mean_pool(hidden, mask))


def make_model(encoder: torch.nn.Module, tasks: Sequence[str], *, pad_id: int, seed: int) -> PairModel:
    """A :class:`PairModel` on a copy of ``encoder``, a head per task initialised from ``seed``."""
    import copy

    with folds.torch_seeded(seed):
        return PairModel(copy.deepcopy(encoder), {task: CLASSES[task] for task in tasks}, pad_id=pad_id)


def with_regression(classify: Callable[..., float]) -> Callable[..., float]:
    """A step for :func:`multitask.train`: ``classify`` (lesson 07's ``train_step``) for classification
    tasks, ``weight`` x mean squared error for STS-B's one-output head. Returns the loss."""

    def step(model, optimizer, task, x, y, *, weight: float = 1.0) -> float:
        if task not in REGRESSION:
            return classify(model, optimizer, task, x, y, weight=weight)
        optimizer.zero_grad()
        loss = weight * F.mse_loss(model(x, task).squeeze(-1), y.float())
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    return step


def as_task(tokenizer, data, *, max_length: int = 128) -> multitask.Task:
    """A GLUE split as ``(pairs (n, 2, T), labels (n,))``, float labels for STS-B."""
    x = pair_ids(tokenizer, data["sentence1"], data["sentence2"], max_length=max_length)
    labels = numpy.asarray(data["label"])
    dtype = torch.float32 if labels.dtype.kind == "f" else torch.long
    return x, torch.as_tensor(labels, dtype=dtype)


def predict(model: PairModel, task: str, x: torch.Tensor, *, device: str = "cpu", batch: int = 64):
    """Predictions on ``x`` ``(n, 2, T)``: class ids ``(n,)``, or scores ``(n,)`` for a regression task."""
    model.to(device).eval()
    out = []
    with torch.inference_mode():
        for part in x.split(batch):
            logits = model(part.to(device), task).float().cpu()
            out.append(logits.squeeze(-1) if task in REGRESSION else logits.argmax(-1))
    return torch.cat(out).numpy()


def score(task: str, predicted, labels) -> dict[str, float]:
    """GLUE's validation metrics: accuracy (RTE), accuracy and F1 (MRPC), Pearson and Spearman (STS-B)."""
    predicted, labels = numpy.asarray(predicted), numpy.asarray(labels)
    if task in REGRESSION:
        from scipy import stats as scipy_stats

        return {
            "pearson": float(scipy_stats.pearsonr(predicted, labels)[0]),
            "spearman": float(scipy_stats.spearmanr(predicted, labels)[0]),
        }
    out = {"accuracy": float((predicted == labels).mean())}
    if task == "mrpc":
        from sklearn.metrics import f1_score

        out["f1"] = float(f1_score(labels, predicted))
    return out


#: The one number a task is compared by: GLUE's first metric for it.
MAIN_METRIC = {"rte": "accuracy", "mrpc": "accuracy", "stsb": "pearson"}


def run(
    encoder: torch.nn.Module,
    train: dict[str, multitask.Task],
    validation: dict[str, multitask.Task],
    config: multitask.Config,
    *,
    pad_id: int,
    seed: int,
    step: Callable[..., float],
    temperature: float = 1.0,
    device: str = "cpu",
) -> dict[str, dict[str, float]]:
    """A fresh copy of ``encoder`` with a head per task of ``train``, fine-tuned by :func:`multitask.train`
    for ``config.steps`` steps (tasks drawn with ``temperature``): ``{task: metrics}`` on ``validation``.

    ``step`` is :func:`with_regression` around the learner's ``train_step``. Lesson 07 (small/full).
    """
    model = make_model(encoder, list(train), pad_id=pad_id, seed=seed)
    sizes = {task: len(y) for task, (_, y) in train.items()}
    p = multitask.sampling_probabilities(sizes, temperature=temperature)
    multitask.train(model, train, p, config, seed=seed, step=step, device=device)
    out = {
        task: score(task, predict(model, task, x, device=device), y) for task, (x, y) in validation.items()
    }
    del model
    return out


_NONE_OFFLINE = assets.placeholder(
    "The tiny profile does not use GLUE; lesson 07 reads nyu-mll/glue only in the small and full profiles.\n"
)


def _load(folder: Path, profile: str):
    return None if profile == "tiny" else read_all(Path(folder), profile)


_OFFLINE = assets.Built(_NONE_OFFLINE, "1", "none in tiny: lesson 07's GLUE section runs in small/full", "-")


_HUB = assets.Hub(
    "nyu-mll/glue",
    "dataset",
    None,
    "GLUE (Wang et al. 2018): rte, mrpc, stsb and mnli, train and validation splits",
    "see its dataset card (each task keeps its own licence)",
    tuple(
        f"{config}/{split}-*.parquet"
        for config in (*TARGETS, AUXILIARY)
        for split in ("train", VALIDATION[config])
    ),
)
ASSETS = (
    assets.Asset(
        "glue",
        "GLUE's rte, mrpc, stsb and mnli sentence pairs (small/full only; mnli's training set subsampled)",
        {"tiny": _OFFLINE, "small": _HUB, "full": _HUB},
        _load,
    ),
)
