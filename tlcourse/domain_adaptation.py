"""Closing a domain gap: domain-adaptive pretraining, a few target labels, and self-training.

Lesson 06 measures three answers to a shift from a source domain to a target one:

* **domain-adaptive pretraining** (Gururangan et al. 2020, in miniature): continue lesson 04's masked
  model on unlabelled target text; its masked loss on held-out target blocks falls, and on Wikipedia
  rises (forgetting). :func:`block_losses` scores each held-out block on one fixed draw of masks, so
  before and after are paired block by block;
* **a few target labels** added to the source's (:func:`few_labels`);
* **self-training** on unlabelled target text with confident pseudo-labels (:func:`pseudo_label`,
  :func:`self_train`).

>>> pseudo_label(numpy.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8]]), threshold=0.7)
(array([0, 2]), array([0, 1]))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy
import torch
import torch.nn.functional as F

from tlcourse import folds, lm, tokenization

#: Target sizes of the few-labels curve (lesson 06); 0 is the source-trained classifier alone.
TARGET_SIZES = (0, 10, 50, 200)


# --- domain-adaptive pretraining ----------------------------------------------------------------------


def text_blocks(tokenizer, texts: Sequence[str], *, block: int = 64) -> torch.Tensor:
    """``texts`` tokenised, joined by ``[SEP]``, cut into blocks ``(n_blocks, block)``."""
    ids = tokenization.encode(tokenizer, list(texts))
    return tokenization.pack(ids, block=block, sep_id=tokenizer.sep_token_id)


def held_out_texts(texts: Sequence[str], *, share: float = 0.2, seed: int) -> tuple[list[str], list[str]]:
    """``(train, held_out)``: ``share`` of ``texts`` drawn with ``seed`` held out, the rest to train on."""
    if not 0 < share < 1:
        raise ValueError(f"share must be between 0 and 1, got {share}.")
    order = numpy.random.default_rng(seed).permutation(len(texts))
    cut = int(round(len(texts) * share))
    return [texts[i] for i in sorted(order[cut:])], [texts[i] for i in sorted(order[:cut])]


@torch.no_grad()
def block_losses(
    model,
    blocks: torch.Tensor,
    *,
    mask_id: int,
    special_ids: tuple[int, ...] = (),
    probability: float = 0.15,
    seed: int = 0,
    batch: int = 64,
    device: str = "cpu",
) -> numpy.ndarray:
    """Masked-LM loss of each block on one fixed draw of masks (``seed``): ``(n_blocks,)``, nats a token.

    Every block's chosen positions are the same for any model scored with the same ``seed``, so two
    checkpoints are compared block by block. A block with no chosen position gets ``nan``.
    """
    was_training = model.training
    model.eval()
    inputs, labels = lm.mask_tokens(
        blocks,
        mask_id=mask_id,
        vocab_size=model.config.vocab_size,
        special_ids=special_ids,
        probability=probability,
        generator=torch.Generator().manual_seed(seed),
    )
    out = []
    for start in range(0, len(blocks), batch):
        logits = model(input_ids=inputs[start : start + batch].to(device)).logits.float().cpu()  # (B, T, V)
        targets = labels[start : start + batch]  # (B, T)
        token_loss = F.cross_entropy(
            logits.transpose(1, 2), targets, ignore_index=lm.IGNORE, reduction="none"
        )
        counts = (targets != lm.IGNORE).sum(1)
        out.append(torch.where(counts > 0, token_loss.sum(1) / counts.clamp(min=1), torch.nan))
    model.train(was_training)
    return torch.cat(out).numpy()


def continue_pretraining(
    model,
    tokenizer,
    blocks: torch.Tensor,
    config: lm.TrainConfig,
    *,
    seed: int,
    device: str = "cpu",
    progress: bool = False,
) -> list[dict]:
    """Go on training a masked ``model`` in place on target ``blocks`` ``(n, T)``; returns the history.

    Lesson 04's training loop (:func:`tlcourse.lm.train`), started from pretrained weights instead of
    random ones: that is all domain-adaptive pretraining is.
    """
    special = tuple(sorted(tokenizer.all_special_ids))
    return lm.train(
        model,
        blocks,
        config,
        seed=seed,
        mask_id=tokenizer.mask_token_id,
        special_ids=special,
        device=device,
        progress=progress,
    )


# --- a few target labels ------------------------------------------------------------------------------


def few_labels(
    make_model: Callable[[], object],
    source_x,
    source_y,
    target_x,
    target_y,
    test_x,
    test_y,
    *,
    sizes: Sequence[int] = TARGET_SIZES,
    seed: int,
) -> dict[str, dict[int, float]]:
    """Accuracy on the target's test rows with ``n`` target labels: with the source's, and alone.

    Returns ``{"source + target": {n: acc}, "target only": {n: acc}}`` (``target only`` has no ``n = 0``).
    The ``n`` target labels are drawn stratified from ``target_*`` with ``derived_seed(seed, n)``; a
    smaller draw is not a subset of a larger one.
    """
    source_x, target_x, test_x = numpy.asarray(source_x), numpy.asarray(target_x), numpy.asarray(test_x)
    source_y, target_y, test_y = numpy.asarray(source_y), numpy.asarray(target_y), numpy.asarray(test_y)
    curves: dict[str, dict[int, float]] = {"source + target": {}, "target only": {}}
    for n in sizes:
        chosen = (
            folds.stratified_subsample(target_y, n, seed=folds.derived_seed(seed, n))
            if n
            else numpy.array([], int)
        )
        x = numpy.concatenate([source_x, target_x[chosen]]) if n else source_x
        y = numpy.concatenate([source_y, target_y[chosen]]) if n else source_y
        curves["source + target"][n] = _accuracy(make_model().fit(x, y), test_x, test_y)
        if n:
            curves["target only"][n] = _accuracy(
                make_model().fit(target_x[chosen], target_y[chosen]), test_x, test_y
            )
    return curves


def _accuracy(model, x, y) -> float:
    return float(numpy.mean(model.predict(x) == y))


# --- self-training ------------------------------------------------------------------------------------


def pseudo_label(probabilities: numpy.ndarray, *, threshold: float) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Rows a classifier is confident about and the labels it gives them: ``(indices, labels)``.

    ``probabilities`` ``(n, classes)`` (``predict_proba``); a row is kept when its largest probability
    is at least ``threshold``. Lesson 06's third exercise.
    """
    probabilities = numpy.asarray(probabilities, dtype=float)
    if probabilities.ndim != 2:
        raise ValueError(f"probabilities must be (n, classes), got shape {probabilities.shape}.")
    confident = numpy.flatnonzero(probabilities.max(axis=1) >= threshold)
    return confident, probabilities[confident].argmax(axis=1)


def self_train(
    make_model: Callable[[], object],
    source_x,
    source_y,
    unlabelled_x,
    *,
    threshold: float = 0.8,
    rounds: int = 1,
    label: Callable[..., tuple] = pseudo_label,
) -> tuple[object, list[int]]:
    """Train on the source, pseudo-label the confident unlabelled target rows, retrain on both; repeat.

    Returns the last model and how many target rows were pseudo-labelled in each round. ``label`` is
    the pseudo-labelling function (the learner's, in lesson 06).
    """
    source_x, source_y, unlabelled_x = (
        numpy.asarray(source_x),
        numpy.asarray(source_y),
        numpy.asarray(unlabelled_x),
    )
    model = make_model().fit(source_x, source_y)
    taken = []
    for _ in range(rounds):
        rows, labels = label(model.predict_proba(unlabelled_x), threshold=threshold)
        taken.append(len(rows))
        model = make_model().fit(
            numpy.concatenate([source_x, unlabelled_x[rows]]), numpy.concatenate([source_y, labels])
        )
    return model, taken
