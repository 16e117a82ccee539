"""Checks for lesson 02's exercises: SIF weights, mean pooling, agreement with people, semantic search.

Each check tests behaviour on cases of its own (random tensors with padding, vectors of unequal
lengths, a rating matrix filled above the diagonal like Lee's), prints a verdict and returns a
:class:`~tlcourse.checks.core.Result`; ``result.use(fallback)`` picks what the lesson goes on with.
"""

from __future__ import annotations

import collections

import numpy
import torch

from tlcourse import sentences
from tlcourse.checks import core


def sif_weights(answer) -> core.Result:
    """Exercise 1: ``answer(counts, a=...)`` gives ``{word: a / (a + p(word))}`` with ``p`` a probability."""

    def test(function):
        counts = collections.Counter({"the": 600, "film": 40, "great": 9, "awful": 1, "soup": 350})
        for a in (1e-3, 1e-2):
            got = function(counts, a=a)
            expected = sentences.sif_weights(counts, a=a)
            if not isinstance(got, dict) or set(got) != set(counts):
                raise core.Wrong("return a dict with one weight for every counted word.")
            values = numpy.array([got[w] for w in counts], dtype=float)
            reference = numpy.array([expected[w] for w in counts])
            if numpy.allclose(values, reference, rtol=1e-6):
                continue
            raw = numpy.array([a / (a + c) for c in counts.values()])
            if numpy.allclose(values, raw, rtol=1e-6):
                raise core.Wrong(
                    "p(w) is a probability: divide each count by the total number of tokens first."
                )
            if numpy.allclose(values, 1 / reference, rtol=1e-6) or got["the"] > got["awful"]:
                raise core.Wrong(
                    "frequent words must get *small* weights: a / (a + p(w)), so 'the' counts less than "
                    "'awful'."
                )
            raise core.Wrong(
                f"with a={a}, weights differ from a / (a + p(w)); e.g. 'film' should get "
                f"{expected['film']:.4f}, not {got['film']:.4f}."
            )

    return core.run(
        "Exercise 1 (SIF weights)", answer, test, success="rare words weigh more, exactly a / (a + p(w))."
    )


def _padded_batch(seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    lengths = [5, 2, 7, 1]
    states = torch.randn(len(lengths), 7, 6, generator=generator)
    mask = torch.zeros(len(lengths), 7, dtype=torch.long)
    for row, length in enumerate(lengths):
        mask[row, :length] = 1
        states[row, length:] += 50.0  # padding positions carry vectors too, here far away
    return states, mask, lengths


def mean_pool(answer) -> core.Result:
    """Exercise 2: ``answer(last_hidden (n, T, D), attention_mask (n, T))`` -> ``(n, D)`` over real tokens."""

    def test(function):
        states, mask, lengths = _padded_batch()
        got = function(states.clone(), mask.clone())
        if not isinstance(got, torch.Tensor):
            raise core.Wrong("return a torch tensor of shape (n, D).")
        if tuple(got.shape) != (states.shape[0], states.shape[2]):
            raise core.Wrong(
                f"for last_hidden of shape {tuple(states.shape)} return shape "
                f"{(states.shape[0], states.shape[2])}, got {tuple(got.shape)}."
            )
        reference = torch.stack(
            [states[row, :length].mean(dim=0) for row, length in enumerate(lengths)]
        )  # a per-row loop
        if torch.allclose(got, reference, atol=1e-5):
            alone = function(states[1:2, :2].clone(), mask[1:2, :2].clone())
            if not torch.allclose(alone[0], got[1], atol=1e-5):
                raise core.Wrong("a sentence's vector must not depend on the batch it is in.")
            return
        if torch.allclose(got, states.mean(dim=1), atol=1e-4):
            raise core.Wrong(
                "you average over padding too: multiply by the attention mask and divide by the number of "
                "real tokens."
            )
        if torch.allclose(got, (states * mask[..., None]).sum(dim=1), atol=1e-4):
            raise core.Wrong(
                "you sum the real tokens but do not divide: divide by each sentence's number of real tokens."
            )
        if torch.allclose(got, (states * mask[..., None]).sum(dim=1) / states.shape[1], atol=1e-4):
            raise core.Wrong(
                "you divide by the padded length T: divide by the number of real tokens (mask.sum), counting "
                "no padding."
            )
        if torch.allclose(got, states[:, 0], atol=1e-4):
            raise core.Wrong("that is the first ([CLS]) position, not the mean of the real tokens.")
        raise core.Wrong("the values differ from the mean over real tokens (where attention_mask is 1).")

    return core.run(
        "Exercise 2 (mean pooling over real tokens)",
        answer,
        test,
        success="padding is left out, and a sentence's vector no longer depends on its batch.",
    )


def _rated(seed: int = 0, n: int = 12):
    rng = numpy.random.default_rng(seed)
    vectors = rng.normal(size=(n, 5)) * rng.uniform(0.2, 5.0, size=(n, 1))  # unequal lengths on purpose
    unit = vectors / numpy.linalg.norm(vectors, axis=1, keepdims=True)
    full = numpy.clip(0.5 + 0.4 * (unit @ unit.T) + rng.normal(scale=0.2, size=(n, n)), 0, 1)
    human = numpy.triu(full, k=1) + numpy.eye(n)  # like Lee's file: each pair once, above the diagonal
    return vectors, human


def agreement(answer) -> core.Result:
    """Exercise 3: ``answer(vectors (n, D), human (n, n))`` -> Pearson of cosines vs ratings, each pair
    once."""

    def test(function):
        from scipy import stats

        for seed in (0, 1):
            vectors, human = _rated(seed)
            got = function(vectors.copy(), human.copy())
            try:
                got = float(got)
            except (TypeError, ValueError):
                raise core.Wrong("return one number: the Pearson correlation.") from None
            expected = sentences.similarity_correlation(vectors, human)
            if abs(got - expected) < 1e-6:
                continue
            pairs = numpy.triu_indices(len(human), k=1)
            cosines = sentences.cosine_matrix(vectors)
            if abs(got - numpy.corrcoef(cosines.ravel(), human.ravel())[0, 1]) < 1e-6:
                raise core.Wrong(
                    "use each pair once, above the diagonal (numpy.triu_indices(n, k=1)): the diagonal is 1 "
                    "for every method, and the ratings below it are empty."
                )
            if abs(got - numpy.corrcoef((vectors @ vectors.T)[pairs], human[pairs])[0, 1]) < 1e-6:
                raise core.Wrong(
                    "compare directions, not raw dot products: use the cosine (divide by the vectors' "
                    "lengths)."
                )
            if abs(got - stats.spearmanr(cosines[pairs], human[pairs])[0]) < 1e-6:
                raise core.Wrong(
                    "that is Spearman's rank correlation; this exercise asks for Pearson's (numpy.corrcoef)."
                )
            raise core.Wrong(
                f"expected {expected:.4f} on the check's own data, got {got:.4f}: cosine of every pair above "
                f"the diagonal against the ratings, then Pearson."
            )

    return core.run(
        "Exercise 3 (agreement with people)", answer, test, success="each pair once, cosines against ratings."
    )


def search(answer) -> core.Result:
    """Exercise 4: ``answer(query (D,), vectors (n, D), k=...)`` -> the ``k`` most cosine-similar rows, best
    first."""

    def test(function):
        rng = numpy.random.default_rng(3)
        vectors = rng.normal(size=(30, 8)) * rng.uniform(0.1, 10.0, size=(30, 1))
        for trial in range(4):
            query = rng.normal(size=8) * (trial + 0.5)
            for k in (1, 5):
                got = numpy.asarray(function(query.copy(), vectors.copy(), k=k)).ravel()
                expected = sentences.nearest(query, vectors, k=k)
                if got.shape != (k,):
                    raise core.Wrong(f"return k={k} row indices, got shape {got.shape}.")
                if numpy.array_equal(got, expected):
                    continue
                if numpy.array_equal(got, numpy.argsort(-(vectors @ query))[:k]):
                    raise core.Wrong(
                        "a raw dot product favours long vectors: divide by the lengths (cosine) before "
                        "ranking."
                    )
                if set(got.tolist()) == set(expected.tolist()):
                    raise core.Wrong(
                        "the right rows, in the wrong order: return them best first (highest cosine first)."
                    )
                unit = vectors / numpy.linalg.norm(vectors, axis=1, keepdims=True)
                if numpy.array_equal(got, numpy.argsort(unit @ query)[:k]):
                    raise core.Wrong("these are the *least* similar rows: sort by decreasing cosine.")
                raise core.Wrong("these are not the k rows with the highest cosine similarity to the query.")

    return core.run(
        "Exercise 4 (semantic search)", answer, test, success="the k nearest rows by cosine, best first."
    )
