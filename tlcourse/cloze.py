"""Filling a blank from its left, its right or both sides: count models of a word given its neighbours.

Lesson 10 measures the talk's first direction: a left-to-right language model never sees the right
context. Each model is a mixture of maximum-likelihood estimates (the word alone; given the word
before; given the word after; given both), with weights fitted by EM on dev articles (Jelinek &
Mercer 1980). Every test blank is scored by every model, so differences are paired.

>>> from tlcourse import cloze, documents
>>> counts = cloze.count(split.train, vocab_size=split.vocab_size)        # doctest: +SKIP
>>> cloze.bits(cloze.components(counts, split.test[0]), weights)          # doctest: +SKIP
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import math

import numpy

#: The components of every model, in the columns of :func:`components`.
COLUMNS = ("unigram", "left", "right", "both")
#: Which components each model may mix: a model never sees what its name does not give it.
MODELS = {"left only": ("unigram", "left"), "right only": ("unigram", "right"), "both sides": COLUMNS}


@dataclasses.dataclass(frozen=True)
class Counts:
    """Word, pair and (before, after) counts of the training articles."""

    unigram: numpy.ndarray  # (V,) add-one smoothed probabilities
    pairs: collections.Counter  # (v, w) -> times w followed v
    before: numpy.ndarray  # (V,) times v was followed by any word
    after: numpy.ndarray  # (V,) times w was preceded by any word
    triples: collections.Counter  # (v, w, u) -> times w stood between v and u
    frames: collections.Counter  # (v, u) -> times any word stood between v and u


def count(docs: list[numpy.ndarray], *, vocab_size: int) -> Counts:
    """Count every word, adjacent pair and triple of ``docs`` (lists of word ids), never across articles."""
    unigram = numpy.ones(vocab_size)
    before, after = numpy.zeros(vocab_size), numpy.zeros(vocab_size)
    pairs, triples, frames = collections.Counter(), collections.Counter(), collections.Counter()
    for doc in docs:
        unigram += numpy.bincount(doc, minlength=vocab_size)
        ids = doc.tolist()
        pairs.update(itertools.pairwise(ids))
        before += numpy.bincount(doc[:-1], minlength=vocab_size)
        after += numpy.bincount(doc[1:], minlength=vocab_size)
        triples.update(zip(ids[:-2], ids[1:-1], ids[2:]))
        frames.update(zip(ids[:-2], ids[2:]))
    return Counts(unigram / unigram.sum(), pairs, before, after, triples, frames)


def components(counts: Counts, doc: numpy.ndarray) -> numpy.ndarray:
    """``(n - 2, 4)``: each component's probability of every blank of ``doc`` that has both neighbours.

    Columns as :data:`COLUMNS`. A context never seen in training gives no estimate: that component
    backs off to the unigram, so every column stays a probability distribution over the vocabulary.
    """
    ids = doc.tolist()
    rows = []
    for v, w, u in zip(ids[:-2], ids[1:-1], ids[2:]):
        uni = counts.unigram[w]
        left = counts.pairs[v, w] / counts.before[v] if counts.before[v] else uni
        right = counts.pairs[w, u] / counts.after[u] if counts.after[u] else uni
        frame = counts.frames[v, u]
        both = counts.triples[v, w, u] / frame if frame else uni
        rows.append((uni, left, right, both))
    return numpy.array(rows, dtype=float).reshape(-1, len(COLUMNS))


def select(table: numpy.ndarray, model: str) -> numpy.ndarray:
    """The columns of ``table`` that ``model`` (a key of :data:`MODELS`) may use."""
    if model not in MODELS:
        raise KeyError(f"Unknown model {model!r}: choose one of {', '.join(MODELS)}.")
    return table[:, [COLUMNS.index(c) for c in MODELS[model]]]


def fit_weights(table: numpy.ndarray, *, iterations: int = 50) -> numpy.ndarray:
    """Mixture weights ``(k,)`` that maximise the likelihood of dev blanks ``table`` ``(n, k)``, by EM.

    E-step: each component's share of each blank's probability; M-step: the weights are the mean
    shares. The likelihood never decreases (Dempster, Laird & Rubin 1977).
    """
    weights = numpy.full(table.shape[1], 1 / table.shape[1])
    for _ in range(iterations):
        shares = table * weights
        shares /= shares.sum(axis=1, keepdims=True)
        weights = shares.mean(axis=0)
    return weights


def bits(table: numpy.ndarray, weights: numpy.ndarray) -> numpy.ndarray:
    """``(n,)``: ``-log2`` of each blank's mixture probability."""
    return -numpy.log2(table @ weights)


def evaluate(counts: Counts, dev: list[numpy.ndarray], test: list[numpy.ndarray]) -> dict[str, dict]:
    """Per model: dev-fit ``weights``, mean ``bits`` a test blank, ``per_doc`` mean bits ``(n_docs,)``."""
    dev_table = numpy.concatenate([components(counts, d) for d in dev])
    test_tables = [components(counts, d) for d in test]
    out = {}
    for model, allowed in MODELS.items():
        weights = fit_weights(select(dev_table, model))
        per_blank = [bits(select(t, model), weights) for t in test_tables]
        out[model] = {
            "weights": dict(zip(allowed, weights.round(3).tolist())),
            "bits": float(numpy.concatenate(per_blank).mean()),
            "per_doc": numpy.array([b.mean() for b in per_blank]),
            "blanks": int(sum(b.size for b in per_blank)),
        }
    return out


def perplexity(mean_bits: float) -> float:
    """``2 ** bits``: the number of equally likely words that would be as hard to guess."""
    return math.pow(2.0, mean_bits)
