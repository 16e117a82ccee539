"""Checks for lesson 03's exercises: pooling pieces into words, same- vs other-sense similarity, sentence
pooling.

Each check runs the learner's function on small tensors of its own (cases the lesson never shows:
words of three pieces, padding, three senses), compares with a per-item loop, and names the likely slip.
"""

from __future__ import annotations

import torch

from tlcourse.checks import core

#: A held-out sentence: [CLS] w0 w1 w1 w2 w2 w2 w3 [SEP] [PAD] [PAD]
_WORD_IDS = [None, 0, 1, 1, 2, 2, 2, 3, None, None, None]


def _states(layers: int, positions: int, width: int, seed: int) -> torch.Tensor:
    return torch.randn(layers, positions, width, generator=torch.Generator().manual_seed(seed))


def _loop_pool(states: torch.Tensor, word_ids) -> torch.Tensor:
    words = sorted({w for w in word_ids if w is not None})
    return torch.stack(
        [states[:, [i for i, w in enumerate(word_ids) if w == word]].mean(dim=1) for word in words], dim=1
    )


def pool_words(answer) -> core.Result:
    """Exercise 1: ``answer(states (L, T, D), word_ids)`` -> ``(L, words, D)``, the mean of each word's
    pieces."""

    def test(function):
        states = _states(3, len(_WORD_IDS), 5, seed=1)
        expected = _loop_pool(states, _WORD_IDS)
        got = torch.as_tensor(function(states, _WORD_IDS))
        if got.shape != expected.shape:
            special = sum(w is None for w in _WORD_IDS)
            hint = (
                f"expected shape {tuple(expected.shape)} (layers, words, width), got {tuple(got.shape)}."
                + (
                    f" Leave out the {special} positions whose word id is None ([CLS], [SEP], padding)."
                    if got.shape[1:2] == (expected.shape[1] + 1,) or got.shape[1:2] == (len(_WORD_IDS),)
                    else ""
                )
            )
            raise core.Wrong(hint)
        first_piece = states[:, [_WORD_IDS.index(w) for w in range(4)]]
        if torch.allclose(got, first_piece, atol=1e-5):
            raise core.Wrong(
                "you keep each word's first piece only: average all of its pieces (word 2 has three)."
            )
        summed = torch.stack(
            [states[:, [i for i, w in enumerate(_WORD_IDS) if w == k]].sum(dim=1) for k in range(4)], dim=1
        )
        if torch.allclose(got, summed, atol=1e-5):
            raise core.Wrong(
                "you sum the pieces: take their mean, so a word split in three is not three times longer."
            )
        if not torch.allclose(got, expected, atol=1e-5):
            raise core.Wrong(
                "the shape is right but the values differ from the mean of each word's piece vectors, per "
                "layer."
            )
        one_layer = function(states[:1], _WORD_IDS)
        if not torch.allclose(torch.as_tensor(one_layer), expected[:1], atol=1e-5):
            raise core.Wrong(
                "with a single layer the result differs: do not assume a fixed number of layers."
            )

    return core.run(
        "Exercise 1 (pool pieces into words)",
        answer,
        test,
        success="each word is the mean of its pieces, special tokens and padding left out.",
    )


def _loop_similarities(vectors: torch.Tensor, senses) -> tuple[torch.Tensor, torch.Tensor]:
    n = len(senses)
    same, other = [], []
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            cosine = torch.nn.functional.cosine_similarity(vectors[:, i], vectors[:, j], dim=-1)
            (same if senses[i] == senses[j] else other).append(cosine)
    return torch.stack(same).mean(dim=0), torch.stack(other).mean(dim=0)


def sense_similarities(answer) -> core.Result:
    """Exercise 2: ``answer(vectors (L, n, D), senses)`` -> ``(same, other)``, mean cosines per layer."""

    def test(function):
        generator = torch.Generator().manual_seed(2)
        centre = torch.randn(2, 1, 6, generator=generator) * 2
        vectors = centre + torch.randn(2, 7, 6, generator=generator)  # (L=2, n=7, D=6), lengths vary
        vectors = vectors * torch.linspace(0.5, 3.0, 7)[None, :, None]
        senses = [0, 1, 0, 2, 1, 0, 2]  # three senses, unequal counts, interleaved
        same, other = (torch.as_tensor(x) for x in function(vectors, senses))
        expected_same, expected_other = _loop_similarities(vectors, senses)
        if same.shape != (2,) or other.shape != (2,):
            raise core.Wrong(
                f"return two tensors of shape (layers,) = (2,), got {tuple(same.shape)} and "
                f"{tuple(other.shape)}."
            )
        unit = torch.nn.functional.normalize(vectors, dim=-1)
        cosines = unit @ unit.transpose(1, 2)
        senses_t = torch.tensor(senses)
        with_self = cosines[:, senses_t[:, None] == senses_t[None, :]].mean(dim=1)
        if torch.allclose(same, with_self, atol=1e-5):
            raise core.Wrong(
                "your same-sense mean includes each occurrence paired with itself (cosine 1): leave the "
                "diagonal out."
            )
        dots = vectors @ vectors.transpose(1, 2)
        dot_other = dots[:, senses_t[:, None] != senses_t[None, :]].mean(dim=1)
        if torch.allclose(other, dot_other, atol=1e-4):
            raise core.Wrong(
                "you average dot products: normalise the vectors first, so that length does not count "
                "(cosine)."
            )
        if not torch.allclose(other, expected_other, atol=1e-5):
            raise core.Wrong(
                "the other-sense mean differs: average the cosine over every pair of occurrences whose "
                "senses differ."
            )
        if not torch.allclose(same, expected_same, atol=1e-5):
            raise core.Wrong(
                "the same-sense mean differs: average the cosine over every pair of different occurrences "
                "with the same sense."
            )

    return core.run(
        "Exercise 2 (same- and other-sense similarity)",
        answer,
        test,
        success="both means match a pair-by-pair loop, three senses included.",
    )
