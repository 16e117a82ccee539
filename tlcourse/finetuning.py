"""Fine-tuning a pretrained encoder for classification: batching, the loop, ULMFiT's recipe, throughput.

Lesson 05 builds these. A :class:`Classifier` is an encoder (``AutoModel``) with a linear head on its
mean-pooled last layer; :func:`build_classifier` loads it pretrained, or builds the same architecture
from its config with fresh random weights ("from scratch"). :func:`train` is the plain loop (AdamW,
linear warm-up and decay, length-bucketed batches), with ULMFiT's discriminative learning rates and
gradual unfreezing as options; :func:`train_accelerate` is the same loop through ``accelerate``,
which also runs unchanged on several GPUs or machines::

    accelerate launch -m tlcourse.finetuning --out result.json      # the package's entry point
    accelerate launch --multi_gpu --num_processes 2 -m tlcourse.finetuning   # two processes (gloo on a CPU)

Shapes: ``B`` texts a batch, ``T`` word pieces (padded to the longest in the batch), ``D`` the width.

>>> from tlcourse import assets, finetuning
>>> folder = assets.path("encoder", "tiny")                                # doctest: +SKIP
>>> model = finetuning.build_classifier(folder, pretrained=True, seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from collections.abc import Sequence
from pathlib import Path

import numpy
import torch
import torch.nn.functional as F

from tlcourse import assets, corpora, env

# --- assets: the model and the sentiment set of each profile ----------------------------------------

_HUB_MODEL_FILES = ("*.json", "*.txt", "model.safetensors", "README.md")
#: SST-2 as the hub stores it: data/{train,validation,test}-00000-of-00001.parquet, columns idx, sentence, label.
_SST2_FILES = ("data/*.parquet", "README.md")
#: How many SST-2 training sentences each profile fine-tunes on, with the fixed 10x5 folds.
SST2_SIZES = {"small": 1000, "full": 8000}


def _points_to(name: str):
    def build(folder: Path) -> None:
        (folder / "README.txt").write_text(
            f"In the tiny profile this asset is the course's {name!r} asset (nothing else ships offline).\n", encoding="utf-8"
        )

    build.__name__ = f"points_to_{name}"
    return build


def _load_model_folder(folder: Path, profile: str) -> Path:
    """The folder ``from_pretrained`` reads: the hub snapshot, or in ``tiny`` the packaged encoder's."""
    if (Path(folder) / "config.json").exists():
        return Path(folder)
    return assets.path("encoder", profile)


def load_sst2(folder: Path, *, size: int | None, seed: int = corpora.FOLD_SEED):
    """SST-2's training split from a hub-layout ``folder`` as ``text``, ``label``, ``folds`` (``size`` sentences, shuffled with ``seed``)."""
    import datasets

    train = datasets.load_dataset(str(folder), split="train")
    if size is not None and len(train) > size:
        train = train.shuffle(seed=seed).select(range(size))
    train = train.rename_column("sentence", "text").select_columns(["text", "label"])
    train = train.cast_column("label", datasets.ClassLabel(names=list(corpora.LABEL_NAMES)))
    return corpora.with_folds(train)


def _load_sentiment(folder: Path, profile: str):
    if (Path(folder) / "README.txt").exists() and not any(Path(folder).rglob("*.parquet")):
        return assets.load("movie_reviews", profile)
    return load_sst2(folder, size=SST2_SIZES.get(profile))


ASSETS = (
    assets.Asset(
        "classifier_base",
        "the encoder lesson 05 fine-tunes: the packaged MiniLM in tiny, DistilBERT (small), BERT-base (full)",
        {
            "tiny": assets.Built(_points_to("encoder"), "1", "the packaged all-MiniLM-L6-v2 (the 'encoder' asset)", "Apache-2.0"),
            "small": assets.Hub("distilbert/distilbert-base-uncased", "model", None, "DistilBERT base, uncased (Sanh et al. 2019)", "Apache-2.0", _HUB_MODEL_FILES),
            "full": assets.Hub("google-bert/bert-base-uncased", "model", None, "BERT base, uncased (Devlin et al. 2019)", "Apache-2.0", _HUB_MODEL_FILES),
        },
        _load_model_folder,
    ),
    assets.Asset(
        "sentiment",
        "sentences labelled negative/positive with fixed 10x5 folds: the 200 bundled ones (tiny) or SST-2 (small/full)",
        {
            "tiny": assets.Built(_points_to("movie_reviews"), "1", "the 200 bundled movie-review sentences (the 'movie_reviews' asset)", "none stated"),
            "small": assets.Hub("stanfordnlp/sst2", "dataset", None, "SST-2 (Socher et al. 2013), 1,000 training sentences", "see its dataset card", _SST2_FILES),
            "full": assets.Hub("stanfordnlp/sst2", "dataset", None, "SST-2 (Socher et al. 2013), 8,000 training sentences", "see its dataset card", _SST2_FILES),
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

        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state  # (B, T, D)
        logits = self.head(self.dropout(sentences.mean_pool(hidden, attention_mask)))  # (B, classes)
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)


def build_classifier(folder, *, pretrained: bool, seed: int, num_labels: int = 2, dropout: float = 0.1) -> Classifier:
    """The encoder in ``folder`` with a fresh head; ``pretrained=False`` gives the same architecture with
    random weights (``AutoModel.from_config``), seeded by ``seed``."""
    import transformers

    torch.manual_seed(seed)
    if pretrained:
        encoder = transformers.AutoModel.from_pretrained(str(folder))
    else:
        encoder = transformers.AutoModel.from_config(transformers.AutoConfig.from_pretrained(str(folder)))
    if getattr(encoder, "pooler", None) is not None:
        encoder.pooler = None  # BERT's [CLS] pooler goes unused under mean pooling (and DDP rejects unused weights)
    torch.manual_seed(seed + 1)  # the head's initialisation does not depend on how the encoder was made
    return Classifier(encoder, num_labels=num_labels, dropout=dropout)


# --- batches ------------------------------------------------------------------------------------------


def tokenize(tokenizer, texts: Sequence[str], *, max_length: int = 64) -> list[list[int]]:
    """Word-piece ids of each text, with ``[CLS]``/``[SEP]``, cut at ``max_length``, not padded."""
    return tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]


def length_buckets(lengths: Sequence[int], batch_size: int, *, seed: int, window: int = 50) -> list[list[int]]:
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


def collate(ids: Sequence[Sequence[int]], *, pad_id: int, pad_to: int | None = None) -> dict[str, torch.Tensor]:
    """Pad lists of ids to the longest (or to ``pad_to``): ``input_ids`` and ``attention_mask``, both ``(B, T)``."""
    width = max(len(row) for row in ids) if pad_to is None else pad_to
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for row, seq in enumerate(ids):
        input_ids[row, : len(seq)] = torch.as_tensor(seq[:width])
        mask[row, : len(seq)] = 1
    return {"input_ids": input_ids, "attention_mask": mask}


def padding_share(batches: Sequence[Sequence[int]], lengths: Sequence[int], *, pad_to: int | None = None) -> float:
    """The share of computed positions that are padding, for ``batches`` of indices into ``lengths``."""
    real = padded = 0
    for batch in batches:
        batch_lengths = [lengths[i] for i in batch]
        real += sum(batch_lengths)
        padded += len(batch) * (max(batch_lengths) if pad_to is None else pad_to)
    return 1 - real / padded


# --- ULMFiT's recipe: discriminative learning rates, gradual unfreezing -------------------------------


def layer_groups(model: Classifier) -> list[list[torch.nn.Parameter]]:
    """The model's parameters from the top down: ``[head], [last layer], ..., [first layer], [embeddings]``."""
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


def param_groups(model: Classifier, *, lr: float, factor: float = 1.0, weight_decay: float = 0.01) -> list[dict]:
    """AdamW parameter groups: one per layer group, with its discriminative rate; no decay on biases and norms."""
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
    freeze_embeddings: bool = False  # keep the bottom group fixed: no gradients or AdamW state for it (Binder's 2 GB)


def trainable_groups(model: Classifier, config: FineTuneConfig) -> int:
    """How many layer groups, from the top, ``config`` trains: all, or all but the embeddings."""
    return len(layer_groups(model)) - int(config.freeze_embeddings)


def schedule(optimizer, total_steps: int, warmup: float):
    """Linear warm-up over ``warmup * total_steps`` steps, then linear decay to 0 (``transformers``' own)."""
    import transformers

    return transformers.get_linear_schedule_with_warmup(optimizer, math.ceil(warmup * total_steps), total_steps)


def batches_for(lengths: Sequence[int], config: FineTuneConfig, *, seed: int) -> list[list[int]]:
    """One epoch's batches of indices, bucketed or shuffled as ``config`` says."""
    if config.bucket:
        return length_buckets(lengths, config.batch, seed=seed)
    return random_batches(len(lengths), config.batch, seed=seed)


def steps_per_epoch(n: int, config: FineTuneConfig) -> tuple[int, int]:
    """``(epochs, steps per epoch)``, with epochs raised so that at least ``config.min_steps`` are taken."""
    per_epoch = math.ceil(n / config.batch)
    return max(config.epochs, math.ceil(config.min_steps / per_epoch)), per_epoch


def fit(model, batches: Sequence[dict], optimizer, scheduler, *, clip: float = 1.0, progress: bool = False) -> list[float]:
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


def train(model: Classifier, tokenizer, texts: Sequence[str], labels: Sequence[int], config: FineTuneConfig, *,
          seed: int, device: str = "cpu", loop=fit, progress: bool = True) -> dict:
    """Fine-tune ``model`` in place with ``loop`` (:func:`fit` or yours), one call per epoch; returns a record.

    ``{"loss": per-step losses, "real_tokens", "padded_tokens", "seconds", "flops"}``: ``flops`` counts
    :func:`flops_per_token` for each batch's real tokens at that batch's length; ``seconds`` is the
    loop's time (batches are padded before it starts).
    """
    ids = tokenize(tokenizer, texts, max_length=config.max_length)
    lengths = [len(row) for row in ids]
    labels = torch.as_tensor(numpy.asarray(labels), dtype=torch.long)
    epochs, per_epoch = steps_per_epoch(len(ids), config)
    env.release_memory(collect=False)  # what earlier cells freed goes back to the system before the optimizer's state is made
    torch.manual_seed(seed)
    model.to(device).train()
    optimizer = torch.optim.AdamW(param_groups(model, lr=config.lr, factor=config.layer_factor, weight_decay=config.weight_decay))
    scheduler = schedule(optimizer, epochs * per_epoch, config.warmup)
    record = {"loss": [], "real_tokens": 0, "padded_tokens": 0, "seconds": 0.0, "flops": 0.0}
    n_groups, top, flops_at = len(layer_groups(model)), trainable_groups(model, config), _flop_counter(model)
    unfreeze_top(model, top)
    for epoch in range(epochs):
        if config.gradual_unfreezing:
            unfreeze_top(model, min(epoch + 1, top))
        batches = []
        for batch in batches_for(lengths, config, seed=seed * 1000 + epoch):
            inputs = collate([ids[i] for i in batch], pad_id=tokenizer.pad_token_id, pad_to=config.pad_to)
            _tally(record, inputs, flops_at)
            batches.append({k: v.to(device) for k, v in inputs.items()} | {"labels": labels[batch].to(device)})
        started = time.perf_counter()
        record["loss"] += loop(model, batches, optimizer, scheduler, clip=config.clip, progress=progress)
        record["seconds"] += time.perf_counter() - started
    unfreeze_top(model, n_groups)
    model.eval()
    del optimizer, scheduler, batches
    env.release_memory(collect=False)  # the optimizer's state is freed: give it back before the next run (Binder's 2 GB)
    return record


@torch.no_grad()
def predict(model: Classifier, tokenizer, texts: Sequence[str], *, max_length: int = 64, batch: int = 64,
            device: str = "cpu") -> numpy.ndarray:
    """Predicted class of each text: shape ``(n,)``."""
    model.to(device).eval()
    ids = tokenize(tokenizer, texts, max_length=max_length)
    out = numpy.empty(len(ids), dtype=numpy.int64)
    for batch_ids in length_buckets([len(r) for r in ids], batch, seed=0):
        inputs = {k: v.to(device) for k, v in collate([ids[i] for i in batch_ids], pad_id=tokenizer.pad_token_id).items()}
        out[batch_ids] = model(**inputs).logits.argmax(-1).cpu().numpy()
    return out


def run_splits(folder, tokenizer, dataset, splits, config: FineTuneConfig, *, pretrained: bool, size: int | None = None,
               seed: int = 0, device: str = "cpu", loop=fit, progress: bool = True) -> numpy.ndarray:
    """Accuracy of a fresh classifier trained on each ``(repeat, fold)`` of ``splits``: shape ``(len(splits),)``.

    ``size`` training labels are drawn as :func:`tlcourse.baseline.cross_validate` draws them (the same
    sentences for every model); ``None`` trains on the whole training part of the fold.
    """
    from tqdm.auto import tqdm

    from tlcourse import baseline

    texts = numpy.asarray(dataset["text"], dtype=object)
    labels = numpy.asarray(dataset["label"])
    wanted = set(splits)
    scores = {}
    chosen = [s for s in corpora.splits(dataset) if (s[0], s[1]) in wanted]
    for repeat, fold, train_idx, test_idx in tqdm(chosen, desc="pretrained" if pretrained else "scratch",
                                                  disable=not progress, leave=False):
        if size is not None and size < len(train_idx):
            train_idx = train_idx[baseline.stratified_subsample(labels[train_idx], size, seed=1000 * repeat + fold)]
        model = build_classifier(folder, pretrained=pretrained, seed=seed + 1000 * repeat + fold)
        train(model, tokenizer, list(texts[train_idx]), labels[train_idx], config, seed=seed + repeat, device=device, loop=loop, progress=False)
        predictions = predict(model, tokenizer, list(texts[test_idx]), max_length=config.max_length, device=device)
        scores[repeat, fold] = float(numpy.mean(predictions == labels[test_idx]))
        del model  # before the next split builds its own: never two models at once
        env.release_memory(collect=False)
    return numpy.array([scores[s] for s in splits])


def feature_curve(features: numpy.ndarray, dataset, *, sizes: Sequence[int | None] = (10, 20, 50, 100, None),
                  make_model=None, repeats: int | None = None) -> dict[int, numpy.ndarray]:
    """Frozen ``features`` ``(n, D)`` + a fresh classifier at each number of labels: ``{n: (repeats, folds)}``.

    The same folds and the same drawn training sentences as :func:`tlcourse.baseline.learning_curve`,
    so the two curves are paired fold by fold.
    """
    from tlcourse import baseline, sentences

    make_model = make_model or sentences.frozen_classifier
    labels = numpy.asarray(dataset["label"])
    folds = numpy.asarray(dataset["folds"])
    n_train = len(labels) - len(labels) // int(folds[:, 0].max() + 1)
    curve = {}
    for size in sizes:
        n = n_train if size is None or size >= n_train else size
        scores = {}
        for repeat, fold, train_idx, test_idx in corpora.splits(dataset, repeats=repeats):
            if n < n_train:
                train_idx = train_idx[baseline.stratified_subsample(labels[train_idx], n, seed=1000 * repeat + fold)]
            model = make_model().fit(features[train_idx], labels[train_idx])
            scores[repeat, fold] = float(numpy.mean(model.predict(features[test_idx]) == labels[test_idx]))
        n_repeats, n_folds = 1 + max(r for r, _ in scores), 1 + max(f for _, f in scores)
        curve[n] = numpy.array([[scores[r, f] for f in range(n_folds)] for r in range(n_repeats)])
    return curve


# --- throughput and model FLOPs -----------------------------------------------------------------------


def flops_per_token(model: Classifier, sequence: int) -> float:
    """Training FLOPs a token: ``6 N + 12 L T d`` (N non-embedding parameters, L layers, T the sequence, d the width)."""
    return _flop_counter(model)(sequence)


def _flop_counter(model: Classifier):
    """``sequence -> FLOPs a token`` for ``model``, its parameters counted once (a run asks at every batch)."""
    from tlcourse import lm

    config = model.encoder.config
    n = lm.parameter_counts(model)["non_embedding"]
    layers = getattr(config, "num_hidden_layers", None) or getattr(config, "n_layers")
    width = getattr(config, "hidden_size", None) or getattr(config, "dim")
    return lambda sequence: lm.training_flops(n, layers=layers, sequence=sequence, width=width)


def _tally(record: dict, inputs: dict[str, torch.Tensor], flops_at) -> None:
    """Add one batch's real and padded tokens, and the model FLOPs of its real tokens, to a run's ``record``."""
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
    """Real tokens/s, model FLOP/s and their share of the timed matmul's FLOP/s, from a :func:`train` record."""
    return {
        "tokens_per_s": record["real_tokens"] / record["seconds"],
        "padding_share": 1 - record["real_tokens"] / record["padded_tokens"],
        "model_flops_per_s": record["flops"] / record["seconds"],
        "matmul_flops_per_s": matmul,
        "fraction_of_matmul": record["flops"] / record["seconds"] / matmul,
    }


# --- the same loop through accelerate (one process, several GPUs, or several machines) ----------------


def train_accelerate(model: Classifier, tokenizer, texts: Sequence[str], labels: Sequence[int], config: FineTuneConfig, *,
                     seed: int, test_texts: Sequence[str] = (), test_labels: Sequence[int] = (), accelerator=None,
                     progress: bool = True) -> dict:
    """:func:`train`'s loop with ``accelerate`` doing the devices: prepare, ``accelerator.backward``, gather.

    Each process takes its share of every epoch's batches (``prepare`` shards the loader); test
    predictions are gathered from all processes. Returns the :func:`train` record plus
    ``accuracy`` (on the test texts, if given), ``processes`` and ``rank``.
    """
    import accelerate
    from tqdm.auto import tqdm

    accelerator = accelerator or accelerate.Accelerator(cpu=not torch.cuda.is_available())
    accelerate.utils.set_seed(seed)
    ids = tokenize(tokenizer, texts, max_length=config.max_length)
    lengths = [len(row) for row in ids]
    labels = numpy.asarray(labels)
    epochs, per_epoch = steps_per_epoch(len(ids), config)

    class _Batches(torch.utils.data.Dataset):  # one item = one padded batch, so bucketing survives sharding
        def __init__(self, epoch_batches):
            self.batches = epoch_batches

        def __len__(self):
            return len(self.batches)

        def __getitem__(self, index):
            batch = self.batches[index]
            inputs = collate([ids[i] for i in batch], pad_id=tokenizer.pad_token_id, pad_to=config.pad_to)
            return inputs | {"labels": torch.as_tensor(labels[batch], dtype=torch.long)}

    every_epoch = [b for epoch in range(epochs) for b in batches_for(lengths, config, seed=seed * 1000 + epoch)]
    # batch_size=1 over ready-made batches: accelerate hands whole batches round-robin to the processes
    loader = torch.utils.data.DataLoader(_Batches(every_epoch), batch_size=1, shuffle=False, collate_fn=_first)
    model.train()
    env.release_memory(collect=False)
    unfreeze_top(model, trainable_groups(model, config))
    optimizer = torch.optim.AdamW(param_groups(model, lr=config.lr, factor=config.layer_factor, weight_decay=config.weight_decay))
    # each process steps once per batch it sees: its share of all steps
    scheduler = schedule(optimizer, math.ceil(len(every_epoch) / accelerator.num_processes), config.warmup)
    model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, scheduler)
    record = {"loss": [], "real_tokens": 0, "padded_tokens": 0, "seconds": 0.0, "flops": 0.0}
    flops_at = _flop_counter(accelerator.unwrap_model(model))
    for inputs in tqdm(loader, desc="fine-tune (accelerate)", disable=not (progress and accelerator.is_local_main_process), leave=False):
        started = time.perf_counter()
        loss = model(**inputs).loss
        optimizer.zero_grad(set_to_none=True)
        accelerator.backward(loss)
        accelerator.clip_grad_norm_(model.parameters(), config.clip)
        optimizer.step()
        scheduler.step()
        record["seconds"] += time.perf_counter() - started
        _tally(record, inputs, flops_at)
        record["loss"].append(loss.item())
    model.eval()
    unfreeze_top(accelerator.unwrap_model(model), len(layer_groups(accelerator.unwrap_model(model))))
    accelerator.free_memory(optimizer, scheduler)
    del optimizer, scheduler
    env.release_memory(collect=False)
    record |= {"processes": accelerator.num_processes, "rank": accelerator.process_index}
    if len(test_texts):
        test_ids = tokenize(tokenizer, test_texts, max_length=config.max_length)
        correct = torch.zeros(len(test_ids), device=accelerator.device)
        mine = list(range(accelerator.process_index, len(test_ids), accelerator.num_processes))
        with torch.no_grad():
            for start in range(0, len(mine), 64):
                part = mine[start : start + 64]
                inputs = {k: v.to(accelerator.device) for k, v in collate([test_ids[i] for i in part], pad_id=tokenizer.pad_token_id).items()}
                predicted = model(**inputs).logits.argmax(-1)
                correct[part] = (predicted.cpu() == torch.as_tensor(numpy.asarray(test_labels)[part])).float().to(accelerator.device)
        correct = accelerator.reduce(correct, reduction="sum")  # each process filled only its own texts
        record["accuracy"] = float(correct.mean())
    return record


def _first(items):
    return items[0]


def main(argv: list[str] | None = None) -> int:
    """``accelerate launch -m tlcourse.finetuning``: fine-tune on one fixed fold, write a JSON result."""
    parser = argparse.ArgumentParser(prog="tlcourse.finetuning", description=main.__doc__)
    parser.add_argument("--model", help="a folder from_pretrained reads (default: the profile's classifier_base asset)")
    parser.add_argument("--data", help="a datasets folder (save_to_disk) with text, label, folds (default: the sentiment asset)")
    parser.add_argument("--profile", default=None, help="tiny, small or full (default: TLCOURSE_PROFILE, else tiny)")
    parser.add_argument("--repeat", type=int, default=0)
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=FineTuneConfig.epochs)
    parser.add_argument("--batch", type=int, default=FineTuneConfig.batch)
    parser.add_argument("--lr", type=float, default=FineTuneConfig.lr)
    parser.add_argument("--scratch", action="store_true", help="the same architecture with random weights")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="finetune_result.json", help="where the main process writes the result")
    args = parser.parse_args(argv)

    import accelerate
    import transformers

    profile, _ = env.start_profile(args.profile, detect=False)
    accelerator = accelerate.Accelerator(cpu=not torch.cuda.is_available())
    folder = Path(args.model) if args.model else assets.load("classifier_base", profile)
    if args.data:
        import datasets

        dataset = datasets.load_from_disk(args.data)
    else:
        dataset = assets.load("sentiment", profile)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
    split = next(s for s in corpora.splits(dataset) if s[:2] == (args.repeat, args.fold))
    texts, labels = numpy.asarray(dataset["text"], dtype=object), numpy.asarray(dataset["label"])
    config = FineTuneConfig(epochs=args.epochs, batch=args.batch, lr=args.lr)
    model = build_classifier(folder, pretrained=not args.scratch, seed=args.seed)
    record = train_accelerate(model, tokenizer, list(texts[split[2]]), labels[split[2]], config, seed=args.seed,
                              test_texts=list(texts[split[3]]), test_labels=labels[split[3]], accelerator=accelerator)
    everyone = accelerate.utils.gather_object([{k: record[k] for k in ("rank", "real_tokens", "seconds")}])
    if accelerator.is_main_process:
        result = {
            "accuracy": record["accuracy"], "processes": record["processes"], "ranks": sorted(r["rank"] for r in everyone),
            "real_tokens": sum(r["real_tokens"] for r in everyone), "steps": len(record["loss"]),
            "final_loss": record["loss"][-1] if record["loss"] else None, "model": str(folder), "scratch": args.scratch,
        }
        Path(args.out).write_text(json.dumps(result, indent=1), encoding="utf-8")
        print(json.dumps(result))
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
