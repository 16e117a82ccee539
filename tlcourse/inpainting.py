"""Filling in what is hidden: a patch of a small image by regression, a span of text by a masked model.

Lesson 10 sets the two side by side: predicting a missing part from what surrounds it is one
objective, whether the parts are pixels (a masked patch of scikit-learn's 8x8 ``digits``) or word
pieces (lesson 04's masked model, asked for single tokens or for whole spans).

>>> from tlcourse import inpainting
>>> images, labels = inpainting.digits()                               # doctest: +SKIP
>>> mask = inpainting.patch_mask(row=2, col=2, size=3)                 # doctest: +SKIP
"""

from __future__ import annotations

import numpy
import torch


def digits() -> tuple[numpy.ndarray, numpy.ndarray]:
    """scikit-learn's bundled digits: images ``(1797, 8, 8)`` scaled to [0, 1], labels ``(1797,)``."""
    from sklearn import datasets

    bunch = datasets.load_digits()
    return bunch.images / 16.0, bunch.target


def patch_mask(*, row: int, col: int, size: int = 3, shape: tuple[int, int] = (8, 8)) -> numpy.ndarray:
    """``shape`` booleans, True on the ``size`` x ``size`` patch whose top-left pixel is ``(row, col)``."""
    if not (0 <= row <= shape[0] - size and 0 <= col <= shape[1] - size):
        raise ValueError(
            f"A {size}x{size} patch at ({row}, {col}) does not fit in {shape}: choose a smaller row or col."
        )
    mask = numpy.zeros(shape, dtype=bool)
    mask[row : row + size, col : col + size] = True
    return mask


def split(n: int, *, test_fraction: float = 0.3, seed: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """``(train, test)`` indices of ``n`` images, shuffled by ``seed``."""
    order = numpy.random.default_rng(seed).permutation(n)
    cut = round(n * (1 - test_fraction))
    return order[:cut], order[cut:]


def fill_patch(
    train: numpy.ndarray, test: numpy.ndarray, mask: numpy.ndarray, *, alpha: float = 1.0
) -> dict[str, numpy.ndarray]:
    """Hidden pixels of ``test`` images ``(n, 8, 8)`` guessed from their visible ones: ``(n, hidden)`` each.

    ``ridge``: a ridge regression from visible to hidden pixels, fitted on ``train``; ``mean``: every
    hidden pixel set to its mean over ``train`` (a guess that ignores the visible pixels).
    """
    from sklearn.linear_model import Ridge

    flat = mask.ravel()
    x_train, y_train = train.reshape(len(train), -1)[:, ~flat], train.reshape(len(train), -1)[:, flat]
    x_test = test.reshape(len(test), -1)[:, ~flat]
    ridge = Ridge(alpha=alpha).fit(x_train, y_train)
    return {
        "ridge": numpy.clip(ridge.predict(x_test), 0, 1),
        "mean": numpy.tile(y_train.mean(axis=0), (len(test), 1)),
    }


def with_patch(images: numpy.ndarray, mask: numpy.ndarray, values: numpy.ndarray) -> numpy.ndarray:
    """Copies of ``images`` ``(n, 8, 8)`` with the masked pixels set to ``values`` ``(n, hidden)``."""
    out = images.copy().reshape(len(images), -1)
    out[:, mask.ravel()] = values
    return out.reshape(images.shape)


@torch.no_grad()
def masked_predictions(
    model, blocks: torch.Tensor, masks: torch.Tensor, *, mask_id: int, batch: int = 64
) -> dict:
    """Lesson 04's masked model asked for the pieces under ``masks`` ``(n, T)`` of ``blocks`` ``(n, T)``.

    Returns ``correct`` (top-1 right, per masked piece) and ``loss`` (nats, per masked piece), both ``(m,)``.
    """
    correct, losses = [], []
    for start in range(0, len(blocks), batch):
        ids, hidden = blocks[start : start + batch], masks[start : start + batch]
        logits = model(input_ids=ids.masked_fill(hidden, mask_id)).logits[hidden]
        targets = ids[hidden]
        correct.append(logits.argmax(-1) == targets)
        losses.append(torch.nn.functional.cross_entropy(logits, targets, reduction="none"))
    return {"correct": torch.cat(correct).float().numpy(), "loss": torch.cat(losses).numpy()}


def text_masks(
    blocks: torch.Tensor,
    *,
    kind: str,
    special_ids: tuple[int, ...],
    rng: numpy.random.Generator,
    noise_density: float = 0.15,
    mean_span: float = 3.0,
) -> torch.Tensor:
    """``(n, T)`` booleans: spans (``"span"``, T5's) or single pieces (``"single"``), never specials."""
    from tlcourse import span_corruption

    out = []
    for row in blocks.numpy():
        if kind == "span":
            mask = span_corruption.noise_mask(
                len(row), noise_density=noise_density, mean_span=mean_span, rng=rng
            )
        elif kind == "single":
            mask = span_corruption.single_token_mask(len(row), probability=noise_density, rng=rng)
        else:
            raise ValueError(f"kind must be 'span' or 'single', not {kind!r}.")
        out.append(mask & ~numpy.isin(row, special_ids))
    return torch.as_tensor(numpy.array(out))
