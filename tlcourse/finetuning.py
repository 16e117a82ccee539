"""Fine-tuning a pretrained encoder for classification: the classifier, batching, ULMFiT's recipe, the loop.

Lesson 05 builds these. A :class:`Classifier` is an encoder (``AutoModel``) with a linear head on its
mean-pooled last layer; :func:`build_classifier` loads it pretrained, or builds the same architecture
from its config with fresh random weights ("from scratch"). :func:`train` is the plain loop (AdamW,
linear warm-up and decay, length-bucketed batches), with ULMFiT's discriminative learning rates and
gradual unfreezing as options; :func:`tlcourse.label_efficiency.trained` runs it on fixed splits.
The same loop through ``accelerate`` (and ``accelerate launch``) is :mod:`tlcourse.distributed`;
FLOPs and throughput are :mod:`tlcourse.compute`; frozen features on the folds are :mod:`tlcourse.probing`.
Over 350 lines because it also declares lesson 05's two assets (the encoder and the sentiment set of
each profile), which the asset registry collects from here.

Shapes: ``B`` texts a batch, ``T`` word pieces (padded to the longest in the batch), ``D`` the width.

>>> from tlcourse import assets, finetuning
>>> folder = assets.path("encoder", "tiny")                                # doctest: +SKIP
>>> model = finetuning.build_classifier(folder, pretrained=True, seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from pathlib import Path

import numpy
import torch
import torch.nn.functional as F

from tlcourse import assets, compute, corpora, env, folds

# --- assets: the model and the sentiment set of each profile ----------------------------------------

_HUB_MODEL_FILES = ("*.json", "*.txt", "model.safetensors", "README.md")
#: SST-2 as the hub stores it: data/{train,validation,test}-00000-of-00001.parquet, columns idx, sentence,
#: label.
_SST2_FILES = ("data/*.parquet", "README.md")
#: How many SST-2 training sentences each profile fine-tunes on, with the fixed 10x5 folds.
SST2_SIZES = {"small": 1000, "full": 8000}


def _points_to(name: str):
    def build(folder: Path) -> None:
        (folder / "README.txt").write_text(
            f"In the tiny profile this asset is the course's {name!r} asset (nothing else ships offline).\n",
            encoding="utf-8",
        )

    build.__name__ = f"points_to_{name}"
    return build


def _load_model_folder(folder: Path, profile: str) -> Path:
    """The folder ``from_pretrained`` reads: the hub snapshot, or in ``tiny`` the packaged encoder's."""
    if (Path(folder) / "config.json").exists():
        return Path(folder)
    return assets.path("encoder", profile)


def load_sst2(folder: Path, *, size: int | None, seed: int = folds.FOLD_SEED):
    """SST-2's training split from a hub-layout ``folder`` as ``text``, ``label``, ``folds`` (``size``
    sentences, shuffled with ``seed``)."""
    import datasets

    train = datasets.load_dataset(str(folder), split="train")
    if size is not None and len(train) > size:
        train = train.shuffle(seed=seed).select(range(size))
    train = train.rename_column("sentence", "text").select_columns(["text", "label"])
    train = train.cast_column("label", datasets.ClassLabel(names=list(corpora.LABEL_NAMES)))
    return folds.with_folds(train)


def _load_sentiment(folder: Path, profile: str):
    if (Path(folder) / "README.txt").exists() and not any(Path(folder).rglob("*.parquet")):
        return assets.load("movie_reviews", profile)
    return load_sst2(folder, size=SST2_SIZES.get(profile))


ASSETS = (
    assets.Asset(
        "classifier_base",
        "the encoder lesson 05 fine-tunes: the packaged MiniLM in tiny, DistilBERT (small), BERT-base (full)",
        {
            "tiny": assets.Built(
                _points_to("encoder"),
                "1",
                "the packaged all-MiniLM-L6-v2 (the 'encoder' asset)",
                "Apache-2.0",
            ),
            "small": assets.Hub(
                "distilbert/distilbert-base-uncased",
                "model",
                None,
                "DistilBERT base, uncased (Sanh et al. 2019)",
                "Apache-2.0",
                _HUB_MODEL_FILES,
            ),
            "full": assets.Hub(
                "google-bert/bert-base-uncased",
                "model",
                None,
                "BERT base, uncased (Devlin et al. 2019)",
                "Apache-2.0",
                _HUB_MODEL_FILES,
            ),
        },
        _load_model_folder,
    ),
    assets.Asset(
        "sentiment",
        "sentences labelled negative/positive with fixed 10x5 folds: the 200 bundled ones (tiny) or SST-2 "
        "(small/full)",
        {
            "tiny": assets.Built(
                _points_to("movie_reviews"),
                "1",
                "the 200 bundled movie-review sentences (the 'movie_reviews' asset)",
                "none stated",
            ),
            "small": assets.Hub(
                "stanfordnlp/sst2",
                "dataset",
                None,
                "SST-2 (Socher et al. 2013), 1,000 training sentences",
                "see its dataset card",
                _SST2_FILES,
            ),
            "full": assets.Hub(
                "stanfordnlp/sst2",
                "dataset",
                None,
                "SST-2 (Socher et al. 2013), 8,000 training sentences",
                "see its dataset card",
                _SST2_FILES,
            ),
        },
        _load_sentiment,
    ),
)


# --- the model ----------------------------------------------------------------------------------------


class Classifier(torch.nn.Module):
    """An encoder with a linear head on its mean-pooled last layer: ``(B, T)`` ids -> ``(B, classes)`` logits.

    Mean pooling over real tokens (lesson 02), because that is how the sentence encoder was trained;
    the head is fresh. Returns ``transformers``' ``SequenceClassifierOutput`` (``loss`` when ``labels``
    are given), so ``Trainer`` and ``accelerate`` take it as they take a library model.
    """

    def __init__(self, encoder, num_labels: int = 2, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.config = encoder.config
        self.dropout = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(encoder.config.hidden_size, num_labels)

    def forward(self, input_ids, attention_mask, labels=None, **_ignored):
        from transformers.modeling_outputs import SequenceClassifierOutput

        from tlcourse import sentences

        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask
        ).last_hidden_state  # (B, T, D)
        logits = self.head(self.dropout(sentences.mean_pool(hidden, attention_mask)))  # (B, classes)
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)


def build_classifier(
    folder, *, pretrained: bool, seed: int, num_labels: int = 2, dropout: float = 0.1
) -> Classifier:
    """The encoder in ``folder`` with a fresh head; ``pretrained=False`` gives the same architecture with
    random weights (``AutoModel.from_config``).

    ``seed`` draws the random weights, the encoder's (from scratch) with ``seed`` and the head's with
    ``derived_seed(seed, 1)``, so the head does not depend on how the encoder was made; torch's global
    generator is left as it was (:func:`tlcourse.folds.torch_seeded`).
    """
    import transformers

    with folds.torch_seeded(seed):
        if pretrained:
            encoder = transformers.AutoModel.from_pretrained(str(folder))
        else:
            encoder = transformers.AutoModel.from_config(transformers.AutoConfig.from_pretrained(str(folder)))
    if getattr(encoder, "pooler", None) is not None:
        encoder.pooler = (
            None  # BERT's [CLS] pooler goes unused under mean pooling (and DDP rejects unused weights)
        )
    with folds.torch_seeded(folds.derived_seed(seed, 1)):
        return Classifier(encoder, num_labels=num_labels, dropout=dropout)


# --- batches ------------------------------------------------------------------------------------------


def tokenize(tokenizer, texts: Sequence[str], *, max_length: int = 64) -> list[list[int]]:
    """Word-piece ids of each text, with ``[CLS]``/``[SEP]``, cut at ``max_length``, not padded."""
    return tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]


def length_buckets(
    lengths: Sequence[int], batch_size: int, *, seed: int, window: int = 50
) -> list[list[int]]:
    """Batches of indices in which texts have similar lengths, so little padding is needed.

    Shuffle, sort each window of ``window * batch_size`` texts by length, cut it into batches, then
    shuffle the batches (the order of lengths is not a signal). Every index appears exactly once.
    Lesson 05's first exercise.
    """
    rng = numpy.random.default_rng(seed)
    order = rng.permutation(len(lengths))
    lengths = numpy.asarray(lengths)
    batches = []
    span = window * batch_size
    for start in range(0, len(order), span):
        chunk = order[start : start + span]
        chunk = chunk[numpy.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size].tolist() for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def random_batches(n: int, batch_size: int, *, seed: int) -> list[list[int]]:
    """Batches of shuffled indices, lengths ignored (what length bucketing improves on)."""
    order = numpy.random.default_rng(seed).permutation(n)
    return [order[i : i + batch_size].tolist() for i in range(0, n, batch_size)]


def collate(
    ids: Sequence[Sequence[int]], *, pad_id: int, pad_to: int | None = None
) -> dict[str, torch.Tensor]:
    """Pad lists of ids to the longest (or to ``pad_to``): ``input_ids`` and ``attention_mask``, both ``(B,
    T)``."""
    width = max(len(row) for row in ids) if pad_to is None else pad_to
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for row, seq in enumerate(ids):
        input_ids[row, : len(seq)] = torch.as_tensor(seq[:width])
        mask[row, : len(seq)] = 1
    return {"input_ids": input_ids, "attention_mask": mask}


def padding_share(
    batches: Sequence[Sequence[int]], lengths: Sequence[int], *, pad_to: int | None = None
) -> float:
    """The share of computed positions that are padding, for ``batches`` of indices into ``lengths``."""
    real = padded = 0
    for batch in batches:
        batch_lengths = [lengths[i] for i in batch]
        real += sum(batch_lengths)
        padded += len(batch) * (max(batch_lengths) if pad_to is None else pad_to)
    return 1 - real / padded


# --- ULMFiT's recipe: discriminative learning rates, gradual unfreezing -------------------------------


def layer_groups(model: Classifier) -> list[list[torch.nn.Parameter]]:
    """The model's parameters from the top down: ``[head], [last layer], ..., [first layer],
    [embeddings]``."""
    encoder = model.encoder
    layers = _transformer_layers(encoder)
    groups = [list(model.head.parameters())]
    seen = {id(p) for p in groups[0]}
    for layer in reversed(layers):
        groups.append(list(layer.parameters()))
        seen |= {id(p) for p in groups[-1]}
    rest = [p for p in model.parameters() if id(p) not in seen]  # embeddings (and a pooler if there is one)
    groups.append(rest)
    return groups


def _transformer_layers(encoder) -> list[torch.nn.Module]:
    for attribute in ("encoder.layer", "transformer.layer", "layers", "encoder.layers"):
        module = encoder
        try:
            for part in attribute.split("."):
                module = getattr(module, part)
        except AttributeError:
            continue
        return list(module)
    raise ValueError(f"Cannot find the transformer layers of {type(encoder).__name__}.")


def discriminative_lrs(base_lr: float, n_groups: int, *, factor: float = 2.6) -> list[float]:
    """Learning rates from the top group down: ``base_lr``, ``base_lr / factor``, ``base_lr / factor**2`` ...

    ULMFiT (Howard & Ruder 2018): eta^(l-1) = eta^l / 2.6. ``factor=1`` gives one rate for all.
    Lesson 05's third exercise.
    """
    return [base_lr / factor**depth for depth in range(n_groups)]


def param_groups(
    model: Classifier, *, lr: float, factor: float = 1.0, weight_decay: float = 0.01
) -> list[dict]:
    """AdamW parameter groups: one per layer group, with its discriminative rate; no decay on biases and
    norms."""
    groups, by_depth = [], layer_groups(model)
    for params, group_lr in zip(by_depth, discriminative_lrs(lr, len(by_depth), factor=factor)):
        decay = [p for p in params if p.dim() >= 2]
        no_decay = [p for p in params if p.dim() < 2]
        groups.append({"params": decay, "lr": group_lr, "weight_decay": weight_decay})
        groups.append({"params": no_decay, "lr": group_lr, "weight_decay": 0.0})
    return [g for g in groups if g["params"]]


def unfreeze_top(model: Classifier, k: int) -> None:
    """Train only the top ``k`` layer groups (the head is group 1); freeze the rest (gradual unfreezing)."""
    for depth, params in enumerate(layer_groups(model)):
        for p in params:
            p.requires_grad_(depth < k)


# --- training -----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FineTuneConfig:
    """Fine-tuning settings; the defaults fine-tune the packaged MiniLM on 20 to 180 sentences."""

    epochs: int = 5
    batch: int = 16
    lr: float = 1e-4  # a 6-layer, 384-wide encoder takes a larger rate than BERT-base's usual 2e-5
    warmup: float = 0.1  # share of the steps spent warming up linearly from 0, then linear decay to 0
    weight_decay: float = 0.01
    max_length: int = 64  # word pieces; the 200 sentences have at most about 60
    layer_factor: float = 1.0  # discriminative rates: 2.6 is ULMFiT's
    gradual_unfreezing: bool = False  # ULMFiT: one more layer group trainable each epoch, from the top
    clip: float = 1.0
    bucket: bool = True  # length-bucketed batches; False: shuffled batches
    pad_to: int | None = None  # pad every batch to this length (to measure what padding costs)
    min_steps: int = 0  # train at least this many steps (a handful of sentences gives few steps an epoch)
    freeze_embeddings: bool = (
        False  # keep the bottom group fixed: no gradients or AdamW state for it (Binder's 2 GB)
    )


def trainable_groups(model: Classifier, config: FineTuneConfig) -> int:
    """How many layer groups, from the top, ``config`` trains: all, or all but the embeddings."""
    return len(layer_groups(model)) - int(config.freeze_embeddings)


def schedule(optimizer, total_steps: int, warmup: float):
    """Linear warm-up over ``warmup * total_steps`` steps, then linear decay to 0 (``transformers``' own)."""
    import transformers

    return transformers.get_linear_schedule_with_warmup(
        optimizer, math.ceil(warmup * total_steps), total_steps
    )


def batches_for(lengths: Sequence[int], config: FineTuneConfig, *, seed: int) -> list[list[int]]:
    """One epoch's batches of indices, bucketed or shuffled as ``config`` says."""
    if config.bucket:
        return length_buckets(lengths, config.batch, seed=seed)
    return random_batches(len(lengths), config.batch, seed=seed)


def steps_per_epoch(n: int, config: FineTuneConfig) -> tuple[int, int]:
    """``(epochs, steps per epoch)``, with epochs raised so that at least ``config.min_steps`` are taken."""
    per_epoch = math.ceil(n / config.batch)
    return max(config.epochs, math.ceil(config.min_steps / per_epoch)), per_epoch


def fit(
    model, batches: Sequence[dict], optimizer, scheduler, *, clip: float = 1.0, progress: bool = False
) -> list[float]:
    """One pass over ``batches`` (dicts of ``(B, T)`` tensors and ``labels`` ``(B,)``): the plain loop.

    Per batch: forward, ``zero_grad``, backward, clip the gradient norm, ``optimizer.step()``,
    ``scheduler.step()``. Returns each batch's loss. Lesson 05's second exercise.
    """
    from tqdm.auto import tqdm

    losses = []
    for batch in tqdm(batches, desc="fine-tune", disable=not progress, leave=False):
        loss = model(**batch).loss
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


@dataclasses.dataclass
class Run:
    """What a fine-tuning run sets up before its first step (:func:`start_run`); ``record`` fills up."""

    ids: list[list[int]]  # word-piece ids of each training text
    lengths: list[int]
    labels: numpy.ndarray  # (n,)
    epochs: int
    per_epoch: int  # steps an epoch, on one process
    optimizer: torch.optim.Optimizer
    record: dict  # compute.new_record()
    flops_at: object  # sequence -> training FLOPs a token (compute.flop_counter)


def start_run(
    model: Classifier, tokenizer, texts: Sequence[str], labels: Sequence[int], config: FineTuneConfig
) -> Run:
    """The set-up :func:`train` and :func:`tlcourse.distributed.train_accelerate` share.

    Tokenise, count epochs, give back memory earlier cells freed, make only ``config``'s trainable
    groups trainable, and build AdamW over :func:`param_groups` with an empty training record.
    """
    ids = tokenize(tokenizer, texts, max_length=config.max_length)
    epochs, per_epoch = steps_per_epoch(len(ids), config)
    env.release_memory(
        collect=False
    )  # what earlier cells freed goes back to the system before the optimizer's state is made
    unfreeze_top(model, trainable_groups(model, config))
    optimizer = torch.optim.AdamW(
        param_groups(model, lr=config.lr, factor=config.layer_factor, weight_decay=config.weight_decay)
    )
    return Run(
        ids,
        [len(row) for row in ids],
        numpy.asarray(labels),
        epochs,
        per_epoch,
        optimizer,
        compute.new_record(),
        compute.flop_counter(model),
    )


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of one epoch's batches in a run seeded with ``seed``: ``derived_seed(0, seed, epoch)``."""
    return folds.derived_seed(0, seed, epoch)


def train(
    model: Classifier,
    tokenizer,
    texts: Sequence[str],
    labels: Sequence[int],
    config: FineTuneConfig,
    *,
    seed: int,
    device: str = "cpu",
    loop=fit,
    progress: bool = True,
) -> dict:
    """Fine-tune ``model`` in place with ``loop`` (:func:`fit` or yours), one call per epoch; returns a
    record.

    ``{"loss": per-step losses, "real_tokens", "padded_tokens", "seconds", "flops"}``: ``flops`` counts
    :func:`tlcourse.compute.flops_per_token` for each batch's real tokens at that batch's length;
    ``seconds`` is the loop's time (batches are padded before it starts). ``seed`` draws the batches
    and dropout (torch's global generators are left as they were).
    """
    run = start_run(model, tokenizer, texts, labels, config)
    labels = torch.as_tensor(run.labels, dtype=torch.long)
    model.to(device).train()
    scheduler = schedule(run.optimizer, run.epochs * run.per_epoch, config.warmup)
    record, n_groups, top = run.record, len(layer_groups(model)), trainable_groups(model, config)
    with folds.torch_seeded(seed, device=device):  # dropout draws from torch's global generators
        for epoch in range(run.epochs):
            if config.gradual_unfreezing:
                unfreeze_top(model, min(epoch + 1, top))
            batches = []
            for batch in batches_for(run.lengths, config, seed=epoch_seed(seed, epoch)):
                inputs = collate(
                    [run.ids[i] for i in batch], pad_id=tokenizer.pad_token_id, pad_to=config.pad_to
                )
                compute.tally(record, inputs, run.flops_at)
                batches.append(
                    {k: v.to(device) for k, v in inputs.items()} | {"labels": labels[batch].to(device)}
                )
            started = time.perf_counter()
            record["loss"] += loop(
                model, batches, run.optimizer, scheduler, clip=config.clip, progress=progress
            )
            record["seconds"] += time.perf_counter() - started
    unfreeze_top(model, n_groups)
    model.eval()
    del run, scheduler, batches
    env.release_memory(
        collect=False
    )  # the optimizer's state is freed: give it back before the next run (Binder's 2 GB)
    return record


@torch.no_grad()
def predict(
    model: Classifier,
    tokenizer,
    texts: Sequence[str],
    *,
    max_length: int = 64,
    batch: int = 64,
    device: str = "cpu",
) -> numpy.ndarray:
    """Predicted class of each text: shape ``(n,)``."""
    model.to(device).eval()
    ids = tokenize(tokenizer, texts, max_length=max_length)
    out = numpy.empty(len(ids), dtype=numpy.int64)
    for batch_ids in length_buckets([len(r) for r in ids], batch, seed=0):
        inputs = {
            k: v.to(device)
            for k, v in collate([ids[i] for i in batch_ids], pad_id=tokenizer.pad_token_id).items()
        }
        out[batch_ids] = model(**inputs).logits.argmax(-1).cpu().numpy()
    return out
