"""Checks for lesson 01's exercises: context pairs, subsampling, the noise distribution, analogies.

Each check tests behaviour on cases of its own, prints a verdict and returns a
:class:`~tlcourse.checks.core.Result`; ``result.use(fallback)`` picks what the lesson goes on with.
"""

from __future__ import annotations

import numpy

from tlcourse import skipgram, word2vec
from tlcourse.checks import core


def _pair_array(pairs) -> numpy.ndarray:
    array = numpy.asarray(pairs)
    if array.size == 0:
        return array.reshape(0, 2)
    if array.ndim != 2 or array.shape[1] != 2:
        raise core.Wrong(
            f"return the pairs as an array of shape (P, 2) (centre, context), not shape {array.shape}."
        )
    return array.astype(numpy.int64)


def context_pairs(answer) -> core.Result:
    """Exercise 1: ``answer(ids, window, rng)`` gives (centre, context) pairs with a shrinking window."""

    def test(function):
        # Window 1 has no randomness: each word pairs with its left and right neighbour.
        got = _pair_array(function(numpy.array([10, 11, 12]), 1, numpy.random.default_rng(0)))
        expected = {(10, 11), (11, 10), (11, 12), (12, 11)}
        found = {tuple(p) for p in got.tolist()}
        core.expect(
            not any(c == o for c, o in found),
            "a word is paired with itself: skip the centre position (j != i).",
        )
        core.expect(
            found == expected and len(got) == 4,
            f"with window=1 the sentence [10, 11, 12] gives the pairs {sorted(expected)}, you gave "
            f"{sorted(found)}: "
            "each word pairs with the words at most b positions away on both sides, within the sentence.",
        )
        window, n = 4, 400
        ids = numpy.arange(n)  # distinct ids reveal each pair's positions
        distances = []
        for seed in range(10):
            pairs = _pair_array(function(ids, window, numpy.random.default_rng(seed)))
            core.expect(
                pairs.min(initial=0) >= 0 and pairs.max(initial=0) < n,
                "pairs must hold ids from the sentence.",
            )
            d = pairs[:, 1] - pairs[:, 0]
            core.expect(
                not (d == 0).any(), "a word is paired with itself: skip the centre position (j != i)."
            )
            core.expect(
                numpy.abs(d).max() <= window,
                f"some pairs are more than window={window} apart: each position's window b is drawn from "
                f"1..window.",
            )
            core.expect(
                (d > 0).sum() == (d < 0).sum() or abs((d > 0).sum() - (d < 0).sum()) < 0.02 * len(d),
                "pairs to the right and to the left are unbalanced: take b words on each side (range(i - b, "
                "i + b + 1)).",
            )
            distances.append(numpy.abs(d))
        distances = numpy.concatenate(distances)
        share = numpy.array([(distances == k).mean() for k in range(1, window + 1)])
        expected_share = numpy.array([window - k + 1 for k in range(1, window + 1)], dtype=float)
        expected_share /= expected_share.sum()
        core.expect(
            share[-1] > 0.5 * expected_share[-1],
            f"words {window} apart are (almost) never paired: draw b from 1..window inclusive, "
            f"rng.integers(1, window + 1).",
        )
        core.expect(
            abs(share[0] - share[-1]) > 0.1,
            "every distance is equally common, so the window never shrinks: draw a window b for each "
            "position, "
            "b = rng.integers(1, window + 1), so near words are paired more often than far ones.",
        )
        core.expect(
            numpy.abs(share - expected_share).max() < 0.03,
            f"the share of pairs at distance 1..{window} is {share.round(3).tolist()}, expected about "
            f"{expected_share.round(3).tolist()}: draw b uniformly from 1..window, once per position.",
        )
        edge = _pair_array(function(numpy.array([5, 6]), 3, numpy.random.default_rng(1)))
        core.expect(
            {tuple(p) for p in edge.tolist()} == {(5, 6), (6, 5)} and len(edge) == 2,
            "at the sentence's ends, keep j inside 0..len(ids)-1 (a negative index wraps round in Python).",
        )

    return core.run(
        "Exercise 1 (context pairs)",
        answer,
        test,
        success="pairs within a shrinking window, as word2vec draws them.",
    )


_COUNTS = numpy.array([50_000, 20_000, 5_000, 1_000, 200, 40, 8, 2, 1, 1])


def keep_probabilities(answer) -> core.Result:
    """Exercise 2: ``answer(counts, threshold=t)`` is min(1, sqrt(t / f)) with f = count / total."""

    def test(function):
        for t in (1e-3, 1e-2):
            got = numpy.asarray(function(_COUNTS, threshold=t), dtype=float)
            core.expect(
                got.shape == _COUNTS.shape,
                f"return one probability per word: shape {_COUNTS.shape}, not {got.shape}.",
            )
            frequencies = _COUNTS / _COUNTS.sum()
            expected = skipgram.keep_probabilities(_COUNTS, threshold=t)
            if numpy.allclose(got, expected, rtol=1e-6):
                continue
            if numpy.allclose(got, 1 - expected, rtol=1e-6):
                raise core.Wrong(
                    "that is the probability of discarding a word (1 - sqrt(t/f)); return the probability of "
                    "keeping it."
                )
            if numpy.allclose(got, numpy.minimum(1, numpy.sqrt(t / _COUNTS)), rtol=1e-6):
                raise core.Wrong(
                    "divide counts by the total first: f is a word's frequency (count / total), not its "
                    "count."
                )
            if numpy.allclose(got, numpy.sqrt(t / frequencies), rtol=1e-6):
                raise core.Wrong(
                    "some 'probabilities' exceed 1: rare words (f < t) are always kept, so clip with "
                    "numpy.minimum(1, ...)."
                )
            if numpy.allclose(
                got, numpy.minimum(1, numpy.sqrt(t / frequencies) + t / frequencies), rtol=1e-6
            ):
                raise core.Wrong(
                    "that is word2vec's C code / gensim's variant (sqrt(t/f) + t/f); here use the paper's "
                    "min(1, sqrt(t/f))."
                )
            raise core.Wrong(
                f"for threshold {t} expected {expected.round(4).tolist()}, got {got.round(4).tolist()}."
            )

    return core.run(
        "Exercise 2 (subsampling)",
        answer,
        test,
        success="frequent words are kept with probability sqrt(t/f), rare ones always.",
    )


def noise_distribution(answer) -> core.Result:
    """Exercise 3: ``answer(counts, power=0.75)`` is counts**power normalised to sum to 1."""

    def test(function):
        for power in (0.75, 0.5):
            got = numpy.asarray(function(_COUNTS, power=power), dtype=float)
            core.expect(
                got.shape == _COUNTS.shape,
                f"return one probability per word: shape {_COUNTS.shape}, not {got.shape}.",
            )
            core.expect(
                abs(got.sum() - 1) < 1e-6,
                f"the probabilities sum to {got.sum():.4g}: normalise them to sum to 1.",
            )
            if numpy.allclose(got, _COUNTS / _COUNTS.sum(), rtol=1e-6):
                raise core.Wrong(
                    "that is the plain unigram distribution: raise the counts to the power (0.75) before "
                    "normalising."
                )
            if numpy.allclose(got, numpy.full(len(_COUNTS), 1 / len(_COUNTS))):
                raise core.Wrong("that is uniform: weight each word by count ** power.")
            expected = skipgram.noise_distribution(_COUNTS, power=power)
            if power == 0.5 and numpy.allclose(
                got, skipgram.noise_distribution(_COUNTS, power=0.75), rtol=1e-6
            ):
                raise core.Wrong("use the power argument, not a fixed 0.75.")
            core.expect(
                numpy.allclose(got, expected, rtol=1e-6),
                f"with power={power} expected {expected.round(4).tolist()}, got {got.round(4).tolist()}.",
            )

    return core.run(
        "Exercise 3 (the noise distribution)",
        answer,
        test,
        success="counts ** 0.75, normalised: rare words get a larger share.",
    )


def _toy_vectors():
    """Small random vectors with uneven norms, where exclusion and normalisation both matter."""
    from gensim.models import KeyedVectors

    rng = numpy.random.default_rng(7)
    words = [f"w{i}" for i in range(60)]
    vectors = rng.normal(size=(60, 8)) * rng.uniform(0.2, 5.0, size=(60, 1))
    # three near-copies of one direction: for near:copy :: twin:? each query word is the best "answer",
    # so an answer that forgets to exclude any one of a, b, c shows it
    cluster = vectors[0] + 0.05 * rng.normal(size=(3, 8))
    kv = KeyedVectors(8)
    kv.add_vectors(words + ["near", "copy", "twin"], numpy.vstack([vectors, cluster]).astype(numpy.float32))
    return kv


def analogy(answer) -> core.Result:
    """Exercise 4: ``answer(vectors, a, b, c, exclude=..., topn=...)`` ranks words by cosine to b - a + c."""

    def test(function):
        kv = _toy_vectors()
        rng = numpy.random.default_rng(3)
        queries = [tuple(f"w{i}" for i in rng.choice(60, size=3, replace=False)) for _ in range(6)]
        for a, b, c in [*queries, ("near", "copy", "twin"), ("twin", "near", "copy")]:
            got = list(function(kv, a, b, c, exclude=True, topn=5))
            reference = [w for w, _ in kv.most_similar(positive=[b, c], negative=[a], topn=5)]
            if got == reference:
                got_all = list(function(kv, a, b, c, exclude=False, topn=5))
                expected_all = word2vec.analogy(kv, a, b, c, exclude=False, topn=5)
                core.expect(
                    got_all == expected_all,
                    f"with exclude=False the query words may be answers: expected {expected_all} for {a}:{b} "
                    f":: {c}:?, got {got_all}.",
                )
                continue
            core.expect(len(got) == 5, f"return the topn={5} best words, got {len(got)}.")
            core.expect(
                not {a, b, c} & set(got),
                f"with exclude=True none of the three query words may be an answer: for {a}:{b} :: {c}:? you "
                f"returned {sorted({a, b, c} & set(got))}.",
            )
            raw = kv.vectors[kv.get_index(b)] - kv.vectors[kv.get_index(a)] + kv.vectors[kv.get_index(c)]
            raw_rank = [
                kv.index_to_key[i]
                for i in numpy.argsort(-(kv.get_normed_vectors() @ raw))
                if kv.index_to_key[i] not in (a, b, c)
            ][:5]
            core.expect(
                got != raw_rank,
                "normalise each vector to unit length before adding (vectors.get_vector(w, norm=True)).",
            )
            flipped = word2vec.analogy(kv, b, a, c, topn=5)
            core.expect(got != flipped, "the target is b - a + c (king - man + woman), not a - b + c.")
            raise core.Wrong(
                f"for {a}:{b} :: {c}:? expected {reference} (as gensim's most_similar), got {got}."
            )

    return core.run(
        "Exercise 4 (analogies)", answer, test, success="your analogies match gensim's most_similar."
    )
