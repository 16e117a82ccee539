"""Reference lines for a language model's loss: unigram and interpolated bigram cross-entropies.

Lesson 04 draws them beside the loss curves. Both are counted on the training blocks and scored on
the same held-out targets as the model, in nats per token. A model that beats the unigram line has
learned more than word frequencies; the bigram line is what one word of context buys by counting.

>>> from tlcourse import ngram
>>> ngram.unigram_cross_entropy(train_targets, valid_targets, vocab_size=4096)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy
import torch


def _flat(tokens) -> numpy.ndarray:
    if isinstance(tokens, torch.Tensor):
        tokens = tokens.cpu().numpy()
    return numpy.asarray(tokens, dtype=numpy.int64).ravel()


def unigram_probabilities(train_tokens, *, vocab_size: int, k: float = 1.0) -> numpy.ndarray:
    """Add-``k`` smoothed unigram distribution over the vocabulary: shape ``(vocab_size,)``."""
    counts = numpy.bincount(_flat(train_tokens), minlength=vocab_size).astype(float)
    return (counts + k) / (counts.sum() + k * vocab_size)


def unigram_cross_entropy(train_tokens, eval_tokens, *, vocab_size: int, k: float = 1.0) -> float:
    """Mean ``-log p(token)`` of ``eval_tokens`` under the add-``k`` unigram of ``train_tokens`` (nats)."""
    probabilities = unigram_probabilities(train_tokens, vocab_size=vocab_size, k=k)
    return float(-numpy.log(probabilities[_flat(eval_tokens)]).mean())


def bigram_counts(previous, following, *, vocab_size: int):
    """Sparse ``(vocab, vocab)`` matrix of how often ``following[i]`` comes after ``previous[i]``."""
    from scipy import sparse

    previous, following = _flat(previous), _flat(following)
    ones = numpy.ones(previous.size)
    return sparse.csr_matrix((ones, (previous, following)), shape=(vocab_size, vocab_size))


def bigram_cross_entropy(train_pairs, eval_pairs, *, vocab_size: int, weight: float, k: float = 1.0) -> float:
    """Mean ``-log p(w | v)`` over ``eval_pairs = (v, w)`` with an interpolated bigram (nats).

    ``p(w | v) = weight * count(v, w) / count(v) + (1 - weight) * p_unigram(w)`` (Jelinek-Mercer);
    the unigram is add-``k`` smoothed, so no held-out pair gets probability 0.
    """
    counts = bigram_counts(*train_pairs, vocab_size=vocab_size)
    unigram = unigram_probabilities(train_pairs[1], vocab_size=vocab_size, k=k)
    row_totals = numpy.asarray(counts.sum(axis=1)).ravel()
    previous, following = _flat(eval_pairs[0]), _flat(eval_pairs[1])
    pair_counts = numpy.asarray(counts[previous, following]).ravel()
    conditional = numpy.divide(
        pair_counts, row_totals[previous], out=numpy.zeros(previous.size), where=row_totals[previous] > 0
    )
    weights = numpy.where(
        row_totals[previous] > 0, weight, 0.0
    )  # an unseen context falls back to the unigram
    return float(-numpy.log(weights * conditional + (1 - weights) * unigram[following]).mean())


def tune_bigram_weight(
    train_pairs, *, vocab_size: int, grid=(0.3, 0.5, 0.6, 0.7, 0.8, 0.9), tune_fraction: float = 0.1
) -> float:
    """The interpolation weight that does best on the last ``tune_fraction`` of the *training* pairs.

    Held-out text is never used to choose it (deleted interpolation, simplified).
    """
    previous, following = _flat(train_pairs[0]), _flat(train_pairs[1])
    cut = int(previous.size * (1 - tune_fraction))
    fit, tune = (previous[:cut], following[:cut]), (previous[cut:], following[cut:])
    scores = {w: bigram_cross_entropy(fit, tune, vocab_size=vocab_size, weight=w) for w in grid}
    return min(scores, key=scores.get)


def causal_pairs(blocks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(previous, target)`` tokens of every next-word prediction in ``blocks`` (shape ``(n, T)``)."""
    return blocks[:, :-1], blocks[:, 1:]
