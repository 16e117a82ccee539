"""Skip-gram with negative sampling written by hand in PyTorch: the word2vec that lesson 01 builds.

The pieces, in the order the lesson meets them: a vocabulary, (centre, context) pairs with word2vec's
shrinking window, subsampling of frequent words, the unigram^0.75 noise distribution and its sampler,
the loss with its hand-derived gradient, and a short training loop. gensim's ``Word2Vec`` does the
same at scale (:mod:`tlcourse.word2vec`); :func:`to_keyed_vectors` puts this model beside it.

>>> vocab = build_vocabulary([["a", "b", "a"]], min_count=1)
>>> vocab.words, vocab.counts.tolist()
(('a', 'b'), [2, 1])
"""

from __future__ import annotations

import collections
import dataclasses
import time
from collections.abc import Iterable, Sequence

import numpy
import torch
from torch import nn
from torch.nn import functional as F


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    """Words sorted by falling count, with their counts; ``index[word]`` is the word's id."""

    words: tuple[str, ...]
    counts: numpy.ndarray  # (V,) int64
    index: dict[str, int] = dataclasses.field(repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.words)


def build_vocabulary(
    sentences: Iterable[Sequence[str]], *, min_count: int = 5, max_size: int | None = None
) -> Vocabulary:
    """Words seen at least ``min_count`` times, the ``max_size`` most frequent at most (ties by first
    sight)."""
    counter = collections.Counter(word for sentence in sentences for word in sentence)
    kept = [(w, c) for w, c in counter.most_common(max_size) if c >= min_count]
    words = tuple(w for w, _ in kept)
    return Vocabulary(
        words, numpy.array([c for _, c in kept], dtype=numpy.int64), {w: i for i, w in enumerate(words)}
    )


def encode(sentences: Iterable[Sequence[str]], vocab: Vocabulary) -> list[numpy.ndarray]:
    """Each sentence as an array of word ids, words outside the vocabulary dropped (as word2vec does)."""
    return [
        numpy.array([vocab.index[w] for w in s if w in vocab.index], dtype=numpy.int64) for s in sentences
    ]


# --- pairs, subsampling, noise ------------------------------------------------------------------


def context_pairs(ids: Sequence[int], window: int, rng: numpy.random.Generator) -> numpy.ndarray:
    """(centre, context) pairs of one sentence with word2vec's shrinking window; shape ``(P, 2)``.

    Each position draws its own window ``b`` uniformly from 1..``window`` and pairs with the words
    at most ``b`` away on either side, so near words are paired more often than far ones.
    """
    ids = numpy.asarray(ids)
    spans = rng.integers(1, window + 1, size=len(ids))
    pairs = []
    for i, b in enumerate(spans):
        for j in range(max(0, i - b), min(len(ids), i + b + 1)):
            if j != i:
                pairs.append((ids[i], ids[j]))
    return numpy.array(pairs, dtype=numpy.int64).reshape(-1, 2)


def _pairs_from_spans(
    tokens: numpy.ndarray, sentence_ids: numpy.ndarray, spans: numpy.ndarray
) -> numpy.ndarray:
    """Vectorised :func:`context_pairs` over a whole corpus given each position's window; ``(P, 2)``."""
    chunks = []
    n = len(tokens)
    for d in range(1, int(spans.max(initial=0)) + 1):
        i = numpy.flatnonzero(spans[: n - d] >= d)
        i = i[sentence_ids[i] == sentence_ids[i + d]]
        chunks.append(numpy.stack([tokens[i], tokens[i + d]], axis=1))
        i = numpy.flatnonzero(spans[d:] >= d) + d
        i = i[sentence_ids[i] == sentence_ids[i - d]]
        chunks.append(numpy.stack([tokens[i], tokens[i - d]], axis=1))
    return numpy.concatenate(chunks) if chunks else numpy.zeros((0, 2), dtype=numpy.int64)


def corpus_pairs(
    sentences: Sequence[numpy.ndarray], window: int, rng: numpy.random.Generator
) -> numpy.ndarray:
    """:func:`context_pairs` of every sentence at once (no pair crosses a sentence end); ``(P, 2)``."""
    if not sentences:
        return numpy.zeros((0, 2), dtype=numpy.int64)
    tokens = numpy.concatenate(sentences).astype(numpy.int64)
    sentence_ids = numpy.repeat(numpy.arange(len(sentences)), [len(s) for s in sentences])
    spans = rng.integers(1, window + 1, size=len(tokens))
    return _pairs_from_spans(tokens, sentence_ids, spans)


def keep_probabilities(counts: numpy.ndarray, *, threshold: float = 1e-3) -> numpy.ndarray:
    """Probability of keeping each occurrence of a word: ``min(1, sqrt(t / f))`` with ``f`` its frequency.

    Mikolov et al. (2013b) discard a word with probability ``1 - sqrt(t / f)``; words rarer than ``t``
    are always kept. (word2vec's C code and gensim use the gentler ``sqrt(t/f) + t/f``.) Shape ``(V,)``.
    """
    frequencies = numpy.asarray(counts, dtype=float) / numpy.sum(counts)
    return numpy.minimum(1.0, numpy.sqrt(threshold / frequencies))


def subsample(
    sentences: Sequence[numpy.ndarray], keep: numpy.ndarray, rng: numpy.random.Generator
) -> list[numpy.ndarray]:
    """Each sentence with every occurrence kept with probability ``keep[word]`` (drawn afresh per call)."""
    return [s[rng.random(len(s)) < keep[s]] for s in sentences]


def noise_distribution(counts: numpy.ndarray, *, power: float = 0.75) -> numpy.ndarray:
    """The negative-sampling distribution: counts raised to ``power`` and normalised; shape ``(V,)``.

    With ``power=0.75`` rare words are drawn more often than their share of the text (Mikolov et al. 2013b).
    """
    weights = numpy.asarray(counts, dtype=float) ** power
    return weights / weights.sum()


class NegativeSampler:
    """Draws noise words from :func:`noise_distribution`; ``sampler(shape, generator)`` gives ids."""

    def __init__(self, counts: numpy.ndarray, *, power: float = 0.75, device: str = "cpu"):
        self.probabilities = torch.as_tensor(
            noise_distribution(counts, power=power), dtype=torch.float64, device=device
        )

    def __call__(self, shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
        """Word ids of the given shape, drawn with replacement (int64)."""
        count = int(numpy.prod(shape))
        return torch.multinomial(self.probabilities, count, replacement=True, generator=generator).view(shape)


# --- the loss and its gradient ------------------------------------------------------------------


def sgns_loss(v: torch.Tensor, u_pos: torch.Tensor, u_neg: torch.Tensor) -> torch.Tensor:
    """Per-pair loss ``-log s(u_o.v) - sum_k log s(-u_k.v)``; v (B, D), u_pos (B, D), u_neg (B, K, D) ->
    (B,)."""
    positive = (v * u_pos).sum(-1)
    negative = torch.einsum("bkd,bd->bk", u_neg, v)
    return -(F.logsigmoid(positive) + F.logsigmoid(-negative).sum(-1))


def sgns_gradients(
    v: torch.Tensor, u_pos: torch.Tensor, u_neg: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The gradient of :func:`sgns_loss` (summed over the batch) derived by hand: (dv, du_pos, du_neg).

    With s the logistic function: dL/dv = (s(u_o.v) - 1) u_o + sum_k s(u_k.v) u_k,
    dL/du_o = (s(u_o.v) - 1) v and dL/du_k = s(u_k.v) v. Shapes as the inputs.
    """
    g_pos = torch.sigmoid((v * u_pos).sum(-1)) - 1  # (B,)
    g_neg = torch.sigmoid(torch.einsum("bkd,bd->bk", u_neg, v))  # (B, K)
    dv = g_pos[:, None] * u_pos + torch.einsum("bk,bkd->bd", g_neg, u_neg)
    return dv, g_pos[:, None] * v, g_neg[..., None] * v[:, None, :]


class SkipGram(nn.Module):
    """Two embedding tables: ``centre`` (the word vectors we keep) and ``context`` (used only in training).

    Initialised as word2vec does: centre vectors uniform in +-0.5/dim, context vectors zero.
    """

    def __init__(self, vocab_size: int, dim: int, *, generator: torch.Generator | None = None):
        super().__init__()
        self.centre = nn.Embedding(vocab_size, dim)
        self.context = nn.Embedding(vocab_size, dim)
        with torch.no_grad():
            self.centre.weight.uniform_(-0.5 / dim, 0.5 / dim, generator=generator)
            self.context.weight.zero_()

    def forward(self, centre: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        """Per-pair losses; centre (B,), context (B,), negatives (B, K) word ids -> (B,)."""
        return sgns_loss(self.centre(centre), self.context(context), self.context(negatives))


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of :func:`train`; the defaults train on the bundled text in a few seconds an epoch."""

    dim: int = 50  # small vectors train fast; gensim's default is 100
    window: int = 5  # the largest window; each position draws its own from 1..window
    negatives: int = 5  # noise words per pair: 5-20 for small data (Mikolov et al. 2013b)
    threshold: float = 1e-3  # subsampling threshold t (the paper used 1e-5 on billions of words)
    power: float = 0.75  # exponent of the noise distribution
    epochs: int = 3
    batch_size: int = 1024
    lr: float = 0.01  # Adam's step; plain SGD as in word2vec needs a larger, decaying rate


@dataclasses.dataclass(frozen=True)
class History:
    """Mean loss of each epoch, its number of pairs and seconds."""

    losses: tuple[float, ...]
    pairs: tuple[int, ...]
    seconds: tuple[float, ...]


def train(
    sentences: Sequence[numpy.ndarray],
    counts: numpy.ndarray,
    config: Config = Config(),
    *,
    seed: int,
    device: str = "cpu",
    progress: bool = True,
) -> tuple[SkipGram, History]:
    """Train :class:`SkipGram` on encoded ``sentences`` (see :func:`encode`); returns the model and its
    history.

    Every epoch draws a fresh subsample and fresh windows, shuffles the pairs and takes minibatches
    with ``config.negatives`` noise words per pair.
    """
    rng = numpy.random.default_rng(seed)
    generator = torch.Generator().manual_seed(seed)
    model = SkipGram(len(counts), config.dim, generator=generator).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    keep = keep_probabilities(counts, threshold=config.threshold)
    sampler = NegativeSampler(counts, power=config.power)
    rows = []
    threads = torch.get_num_threads()
    if (
        device == "cpu"
    ):  # products this small run fastest on one thread (measured 10x faster on a busy 2-core CPU)
        torch.set_num_threads(1)
    try:
        for epoch in range(config.epochs):
            start = time.perf_counter()
            pairs = corpus_pairs(subsample(sentences, keep, rng), config.window, rng)
            pairs = torch.from_numpy(pairs[rng.permutation(len(pairs))])
            loss = _epoch(
                model, optimizer, pairs, sampler, config, generator, device, f"epoch {epoch + 1}", progress
            )
            rows.append((loss, len(pairs), time.perf_counter() - start))
    finally:
        torch.set_num_threads(threads)
    losses, sizes, seconds = zip(*rows) if rows else ((), (), ())
    return model.eval(), History(tuple(losses), tuple(sizes), tuple(seconds))


def _epoch(model, optimizer, pairs, sampler, config, generator, device, label, progress) -> float:
    """One pass over shuffled ``pairs`` (P, 2) in minibatches; returns the mean loss per pair."""
    from tqdm.auto import tqdm

    total = 0.0
    for first in tqdm(range(0, len(pairs), config.batch_size), desc=label, disable=not progress, leave=False):
        batch = pairs[first : first + config.batch_size]
        negatives = sampler((len(batch), config.negatives), generator)
        loss = model(batch[:, 0].to(device), batch[:, 1].to(device), negatives.to(device)).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch)
    return total / max(1, len(pairs))


def to_keyed_vectors(model: SkipGram, vocab: Vocabulary):
    """The centre vectors as gensim ``KeyedVectors``, so gensim's ``most_similar`` works on them."""
    from gensim.models import KeyedVectors

    vectors = KeyedVectors(model.centre.weight.shape[1])
    vectors.add_vectors(list(vocab.words), model.centre.weight.detach().cpu().numpy())
    return vectors
