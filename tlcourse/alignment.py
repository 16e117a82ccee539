"""Mapping one word-vector space onto another: Procrustes, CSLS retrieval, precision@1, self-learning.

Lesson 08 (cross-lingual transfer) builds each step by hand; this module keeps them for later use.
Rows are word vectors: ``source`` is ``(n, d_source)``, ``target`` ``(m, d_target)``, and a mapping ``W``
is ``(d_source, d_target)`` so that ``source @ W`` lives in the target space. With ``d_source < d_target``
(GloVe 50-d onto fastText 300-d) the best orthogonal ``W`` is *semi*-orthogonal (``W @ W.T = I``): the
same as zero-padding the source to ``d_target`` and solving the square problem with one SVD.

>>> import numpy
>>> x = numpy.eye(3)
>>> numpy.allclose(procrustes(x, x), numpy.eye(3))
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy

CHUNK = 1024  # query rows per block: 1,024 x 20,000 similarities are 80 MB in float32


def unit(vectors: numpy.ndarray, *, center: bool = True) -> numpy.ndarray:
    """Rows scaled to length 1, then (if ``center``) mean-centred and scaled again (Artetxe et al. 2018).

    ``(n, d) -> (n, d)`` float32; all-zero rows stay zero. Centring removes the common direction every
    vector shares, which otherwise makes all cosines large.
    """
    vectors = numpy.asarray(vectors, dtype=numpy.float32)
    if vectors.ndim != 2:
        raise ValueError(f"Expected a 2-D array of row vectors, got shape {vectors.shape}.")

    def scaled(x):
        norms = numpy.linalg.norm(x, axis=1, keepdims=True)
        return x / numpy.where(norms == 0, 1, norms)

    out = scaled(vectors)
    if center:
        out = scaled(out - out.mean(axis=0, keepdims=True))
    return out


def procrustes(source: numpy.ndarray, target: numpy.ndarray) -> numpy.ndarray:
    """The orthogonal ``W`` (``(d_s, d_t)``, ``d_s <= d_t``) minimising ``||source @ W - target||``.

    ``source`` and ``target`` are ``(n, d_s)`` and ``(n, d_t)``, row ``i`` of each a translation pair.
    Solution (Schönemann 1966): with ``U S V^T = svd(source^T target)``, ``W = U V^T``.
    """
    source, target = _pairs(source, target)
    if source.shape[1] > target.shape[1]:
        raise ValueError(
            f"The source has more dimensions ({source.shape[1]}) than the target ({target.shape[1]}): "
            "map the other way, or pad the target with zeros."
        )
    u, _, vt = numpy.linalg.svd(source.T.astype(numpy.float64) @ target, full_matrices=False)
    return (u @ vt).astype(numpy.float32)


def least_squares(source: numpy.ndarray, target: numpy.ndarray) -> numpy.ndarray:
    """The unconstrained linear ``W`` minimising ``||source @ W - target||`` (Mikolov et al. 2013).

    With fewer pairs than source dimensions the problem is underdetermined: the minimum-norm solution.
    """
    source, target = _pairs(source, target)
    return numpy.linalg.lstsq(source, target, rcond=None)[0].astype(numpy.float32)


def _pairs(source, target) -> tuple[numpy.ndarray, numpy.ndarray]:
    source, target = numpy.asarray(source, dtype=numpy.float32), numpy.asarray(target, dtype=numpy.float32)
    if source.ndim != 2 or target.ndim != 2 or len(source) != len(target):
        raise ValueError(
            f"Expected two 2-D arrays with one row per pair, got shapes {source.shape} and {target.shape}."
        )
    return source, target


def mean_top_k(queries: numpy.ndarray, keys: numpy.ndarray, k: int) -> numpy.ndarray:
    """``(n,)``: each query's mean dot product with its ``k`` most similar keys (computed in blocks)."""
    if not 1 <= k <= len(keys):
        raise ValueError(f"k must be between 1 and the number of keys ({len(keys)}), got {k}.")
    out = numpy.empty(len(queries), dtype=numpy.float32)
    for start in range(0, len(queries), CHUNK):
        sims = queries[start : start + CHUNK] @ keys.T
        out[start : start + CHUNK] = numpy.partition(sims, -k, axis=1)[:, -k:].mean(axis=1)
    return out


def csls(
    queries: numpy.ndarray, targets: numpy.ndarray, *, k: int = 10, sources: numpy.ndarray | None = None
) -> numpy.ndarray:
    """``(n, m)`` CSLS scores: ``2 cos(q, t) - r_T(q) - r_S(t)`` (Conneau et al. 2018).

    ``queries`` (mapped source words, ``(n, d)``) and ``targets`` (``(m, d)``) have unit rows;
    ``r_T(q)`` is q's mean similarity to its ``k`` nearest targets, ``r_S(t)`` t's mean similarity to
    its ``k`` nearest mapped source words (``sources``, all of them; ``queries`` if not given). A
    "hub" (a target near everything) gets a large ``r_S`` and is penalised.
    """
    sources = queries if sources is None else sources
    return _csls_block(queries, targets, mean_top_k(targets, sources, k), k)


def _csls_block(queries, targets, r_source, k: int) -> numpy.ndarray:
    scores = queries @ targets.T  # one (n, m) array, updated in place
    r_target = numpy.partition(scores, -k, axis=1)[:, -k:].mean(axis=1)
    scores *= 2
    scores -= r_target[:, None]
    scores -= r_source[None]
    return scores


def translate(
    queries: numpy.ndarray,
    targets: numpy.ndarray,
    *,
    method: str = "csls",
    k: int = 10,
    sources: numpy.ndarray | None = None,
) -> numpy.ndarray:
    """``(n,)`` index of each query's best target; ``method``: ``"csls"`` or ``"nn"`` (nearest neighbour)."""
    if method == "nn":
        return (
            numpy.concatenate(
                [
                    numpy.argmax(queries[s : s + CHUNK] @ targets.T, axis=1)
                    for s in range(0, len(queries), CHUNK)
                ]
            )
            if len(queries)
            else numpy.zeros(0, dtype=int)
        )
    if method != "csls":
        raise ValueError(f"method must be 'csls' or 'nn', got {method!r}.")
    r_source = mean_top_k(targets, queries if sources is None else sources, k)
    return (
        numpy.concatenate(
            [
                numpy.argmax(_csls_block(queries[s : s + CHUNK], targets, r_source, k), axis=1)
                for s in range(0, len(queries), CHUNK)
            ]
        )
        if len(queries)
        else numpy.zeros(0, dtype=int)
    )


def precision_at_1(predicted: Sequence[int], gold: Sequence[set[int] | int]) -> float:
    """Share of queries whose predicted target index is (one of) the gold translation(s)."""
    if len(predicted) != len(gold) or not len(gold):
        raise ValueError(f"Need one prediction per gold entry, got {len(predicted)} and {len(gold)}.")
    hits = [p in g if isinstance(g, (set, frozenset)) else p == g for p, g in zip(predicted, gold)]
    return float(numpy.mean(hits))


def mutual_pairs(source: numpy.ndarray, target: numpy.ndarray, *, k: int = 10) -> list[tuple[int, int]]:
    """Pairs ``(i, j)`` where ``j`` is source ``i``'s CSLS best target and ``i`` is ``j``'s best source.

    One self-learning round (Artetxe et al. 2017; mutual neighbours as in Conneau et al. 2018): map,
    then keep only the pairs both directions agree on as the next dictionary. ``source`` must already
    be mapped into the target space; both have unit rows.
    """
    forward = translate(source, target, k=k)
    backward = translate(target, source, k=k)
    return [(i, int(j)) for i, j in enumerate(forward) if backward[j] == i]


def self_learning_round(source: numpy.ndarray, target: numpy.ndarray, w: numpy.ndarray, *, k: int = 10):
    """``(new W, pairs)``: induce mutual CSLS pairs under ``w``, then refit Procrustes on them.

    ``source`` ``(n, d_s)`` and ``target`` ``(m, d_t)`` are the (frequent) words searched, unit rows.
    """
    pairs = mutual_pairs(source, target @ w.T, k=k)  # (x W)·y = x·(y W^T): search in the smaller space
    if not pairs:
        raise ValueError("No mutual pairs: the mapping is too poor to learn from (start from a better seed).")
    rows, cols = (numpy.array(side) for side in zip(*pairs))
    return procrustes(source[rows], target[cols]), pairs
