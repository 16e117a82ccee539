"""A document cache for next-word prediction: words already seen in this article become likelier.

Lesson 10's long-context demo. A bigram model sees one word back; the cache sees the whole article so
far. ``p(w) = (1 - weight) * p_bigram(w | previous word) + weight * count(w in history) / len(history)``
(Kuhn & De Mori 1990; Grave, Joulin & Usunier 2017 for neural models). The learner writes
:func:`mix` in the lesson; the package keeps it, with the counting and the evaluation around it.

>>> from tlcourse import cache_lm
>>> model = cache_lm.fit_bigram(split.train, vocab_size=split.vocab_size)      # doctest: +SKIP
>>> cache_lm.perplexity(cache_lm.score(model, split.test), weight=0.1)     # doctest: +SKIP
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import math

import numpy

from tlcourse import ngram

WEIGHT_GRID = (
    0.0,
    0.01,
    0.02,
    0.05,
    0.1,
    0.15,
    0.2,
    0.3,
    0.4,
    0.5,
    0.7,
)  # wide: the best weight is not known ahead


@dataclasses.dataclass(frozen=True)
class Bigram:
    """An interpolated bigram: ``weight * count(v, w) / count(v) + (1 - weight) * p_unigram(w)``."""

    counts: object  # scipy sparse (V, V)
    row_totals: numpy.ndarray  # (V,)
    unigram: numpy.ndarray  # (V,) add-one smoothed
    weight: float

    def probability(self, previous: numpy.ndarray, word: numpy.ndarray) -> numpy.ndarray:
        """``(n,)``: ``p(word[i] | previous[i])``; an unseen previous word falls back to the unigram."""
        pair = numpy.asarray(self.counts[previous, word]).ravel()
        total = self.row_totals[previous]
        conditional = numpy.divide(pair, total, out=numpy.zeros(pair.size), where=total > 0)
        weight = numpy.where(total > 0, self.weight, 0.0)
        return weight * conditional + (1 - weight) * self.unigram[word]


def fit_bigram(
    train: list[numpy.ndarray],
    *,
    vocab_size: int,
    dev: list[numpy.ndarray] | None = None,
    grid=(0.3, 0.5, 0.6, 0.7, 0.8, 0.9),
) -> Bigram:
    """Count the training articles' pairs; choose the interpolation weight on ``dev`` (0.7 without it)."""
    previous = numpy.concatenate([d[:-1] for d in train])
    following = numpy.concatenate([d[1:] for d in train])
    counts = ngram.bigram_counts(previous, following, vocab_size=vocab_size)
    unigram = ngram.unigram_probabilities(following, vocab_size=vocab_size)  # as lesson 04's bigram line
    row_totals = numpy.asarray(counts.sum(axis=1)).ravel()
    model = Bigram(counts, row_totals, unigram, 0.7)
    if dev:
        previous, word = numpy.concatenate([d[:-1] for d in dev]), numpy.concatenate([d[1:] for d in dev])
        scores = {
            w: numpy.log(dataclasses.replace(model, weight=w).probability(previous, word)).mean()
            for w in grid
        }
        model = dataclasses.replace(model, weight=max(scores, key=scores.get))
    return model


def history_counts(
    doc: numpy.ndarray, history: numpy.ndarray | None = None
) -> tuple[numpy.ndarray, numpy.ndarray]:
    """``(counts, sizes)``, each ``(n - 1,)``, for predicting ``doc[1:]``: how often word ``t`` occurred in
    the history before it, and how long that history was.

    The history is ``doc`` itself (the cache) or, as a control, the same number of words of another
    article, ``history``.
    """
    history = doc if history is None else history
    sizes = numpy.minimum(numpy.arange(1, len(doc)), len(history))
    seen: dict[int, list[int]] = {}
    for position, word in enumerate(history.tolist()):
        seen.setdefault(word, []).append(position)
    counts = [bisect.bisect_left(seen.get(w, ()), s) for w, s in zip(doc[1:].tolist(), sizes.tolist())]
    return numpy.array(counts, dtype=float), sizes.astype(float)


def mix(model_probability, cache_count, cache_size, *, weight: float):
    """The cache-interpolated probability of each next word (arrays of one shape, or floats).

    ``(1 - weight) * model + weight * count / size``; with an empty history (``size == 0``) the cache
    says nothing and the model's probability stands alone.
    """
    model_probability = numpy.asarray(model_probability, dtype=float)
    cache_count, cache_size = numpy.asarray(cache_count, dtype=float), numpy.asarray(cache_size, dtype=float)
    share = numpy.divide(
        cache_count,
        cache_size,
        out=numpy.zeros(numpy.broadcast(cache_count, cache_size).shape),
        where=cache_size > 0,
    )
    weight = numpy.where(cache_size > 0, weight, 0.0)
    return (1 - weight) * model_probability + weight * share


def score(model: Bigram, docs: list[numpy.ndarray], *, control: bool = False) -> list[tuple]:
    """Per article ``(bigram probabilities, cache counts, cache sizes)`` of its next words, each ``(n - 1,)``.

    ``control`` fills each article's cache from the next article in ``docs`` instead of its own words.
    """
    out = []
    for i, doc in enumerate(docs):
        history = docs[(i + 1) % len(docs)] if control else None
        out.append((model.probability(doc[:-1], doc[1:]), *history_counts(doc, history)))
    return out


def log_probabilities(scored: list[tuple], *, weight: float, mixer=mix) -> list[numpy.ndarray]:
    """Per article, ``(n - 1,)`` log-probabilities of its next words, the cache mixed in by ``mixer``."""
    return [numpy.log(mixer(base, counts, sizes, weight=weight)) for base, counts, sizes in scored]


def perplexity(scored: list[tuple], *, weight: float, mixer=mix) -> float:
    """Perplexity over every next word scored: ``exp`` of the mean negative log-probability."""
    return math.exp(-float(numpy.concatenate(log_probabilities(scored, weight=weight, mixer=mixer)).mean()))


def tune_weight(scored_dev: list[tuple], *, grid=WEIGHT_GRID) -> tuple[float, dict[float, float]]:
    """The cache weight with the lowest dev perplexity, and the dev perplexity of every weight in ``grid``."""
    scores = {w: perplexity(scored_dev, weight=w) for w in grid}
    return min(scores, key=scores.get), scores


def gain_by_position(
    scored: list[tuple], *, weight: float, edges=(1, 100, 300, 1000, 3000, 100_000)
) -> list[dict]:
    """Perplexity without and with the cache for next words whose position falls in each ``edges`` bin."""
    with_cache = numpy.concatenate(log_probabilities(scored, weight=weight))
    without = numpy.concatenate(log_probabilities(scored, weight=0.0))
    positions = numpy.concatenate([numpy.arange(1, base.size + 1) for base, _, _ in scored])
    rows = []
    for low, high in itertools.pairwise(edges):
        inside = (positions >= low) & (positions < high)
        if inside.any():
            rows.append(
                {
                    "from": low,
                    "to": high,
                    "words": int(inside.sum()),
                    "bigram": math.exp(-without[inside].mean()),
                    "cache": math.exp(-with_cache[inside].mean()),
                }
            )
    return rows


def per_document(scored: list[tuple], *, weight: float) -> numpy.ndarray:
    """``(n_docs,)``: each article's change in log perplexity from adding the cache (negative: it helps)."""
    with_cache = log_probabilities(scored, weight=weight)
    without = log_probabilities(scored, weight=0.0)
    return numpy.array([b.mean() - a.mean() for a, b in zip(with_cache, without)])
