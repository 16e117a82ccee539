"""Checks for lesson 10's exercises: T5's span corruption and the document cache's interpolation.

Each check runs the learner's function on held-out cases of its own (random masks over made-up
sequences, a five-word vocabulary with histories of several lengths), compares it with the
package's version, prints a verdict and returns a :class:`~tlcourse.checks.core.Result`.
"""

from __future__ import annotations

import numpy

from tlcourse import cache_lm, span_corruption
from tlcourse.checks import core


def _span_cases() -> list[tuple[list[str], list[bool]]]:
    rng = numpy.random.default_rng(11)
    cases = [
        (
            ["thank", "you", "for", "inviting", "me", "to", "your", "party", "last", "week", "."],
            [False, False, True, True, False, False, False, False, True, False, False],
        )
    ]
    for length in (12, 30, 64):
        tokens = [f"w{i}" for i in range(length)]
        cases.append((tokens, span_corruption.noise_mask(length, rng=rng).tolist()))
    cases.append(
        ([f"t{i}" for i in range(8)], [True, True, False, False, True, False, True, True])
    )  # spans at both ends
    return cases


def span_corrupt(answer) -> core.Result:
    """Exercise 1: ``answer(tokens, mask)`` -> ``(inputs, targets)`` with T5's sentinels."""

    def test(function):
        for tokens, mask in _span_cases():
            got = function(list(tokens), list(mask))
            try:
                inputs, targets = (list(got[0]), list(got[1]))
            except (TypeError, IndexError):
                raise core.Wrong("return a pair (inputs, targets), each a list of tokens.") from None
            want_inputs, want_targets = span_corruption.corrupt(tokens, mask)
            if (inputs, targets) == (want_inputs, want_targets):
                continue
            marks = [t for t in inputs if t.startswith("<extra_id_")]
            if len(marks) == sum(mask):
                raise core.Wrong(
                    "one sentinel per hidden *span*, not per hidden word: a run of hidden words "
                    "shares one sentinel in the input."
                )
            if len(set(marks)) < len(marks):
                raise core.Wrong(
                    "each span gets its own sentinel: <extra_id_0> for the first, <extra_id_1> next..."
                )
            if inputs == want_inputs and targets == want_targets[:-1]:
                raise core.Wrong(
                    "the inputs are right; the target ends with one more sentinel, after the last span "
                    "(T5's '<X> for inviting <Y> last <Z>')."
                )
            if inputs == want_inputs:
                raise core.Wrong(
                    f"the inputs are right, but for {' '.join(tokens[:8])}... the target should be "
                    f"{want_targets}, got {targets}: each sentinel, then the words it hides."
                )
            raise core.Wrong(
                f"for {' '.join(tokens[:8])}... with mask {[int(m) for m in mask[:8]]}... the input is "
                f"{want_inputs[:10]}..., got {inputs[:10]}...: visible words stay, each hidden run becomes "
                "one sentinel."
            )

    return core.run(
        "Exercise 1 (span corruption)",
        answer,
        test,
        success="inputs and targets as T5 builds them, on every held-out mask.",
    )


def cache_mix(answer) -> core.Result:
    """Exercise 2: ``answer(model_probability, cache_count, cache_size, *, weight)`` -> probabilities."""

    def test(function):
        rng = numpy.random.default_rng(3)
        vocab = 5
        model = rng.dirichlet(numpy.ones(vocab))  # a next-word distribution over 5 words
        for history in ([], [2], [0, 0, 3], [4, 1, 1, 1, 2, 0, 4]):
            counts = numpy.bincount(numpy.array(history, dtype=int), minlength=vocab).astype(float)
            sizes = numpy.full(vocab, float(len(history)))
            for weight in (0.2, 0.5):
                with numpy.errstate(all="ignore"):
                    got = numpy.asarray(
                        function(model.copy(), counts.copy(), sizes.copy(), weight=weight), dtype=float
                    )
                if got.shape != (vocab,):
                    raise core.Wrong(
                        f"work element by element: 5 words in, 5 probabilities out (got shape {got.shape})."
                    )
                want = cache_lm.mix(model, counts, sizes, weight=weight)
                if numpy.allclose(got, want, atol=1e-9):
                    continue
                if not history and not numpy.all(numpy.isfinite(got)):
                    raise core.Wrong(
                        "with an empty history count / size is 0 / 0: there the cache says nothing, "
                        "so return the model's probability unchanged."
                    )
                if not history:
                    raise core.Wrong(
                        f"with an empty history the probabilities sum to {got.sum():.2f}, not 1: "
                        "the cache says nothing there, so the model's probability stands alone."
                    )
                total = got.sum()
                if total > 1 + 1e-9:
                    raise core.Wrong(
                        f"over all 5 words your probabilities sum to {total:.2f}, not 1: a mixture "
                        "weighs the model by (1 - weight) and the cache by weight."
                    )
                if total < 1 - 1e-9:
                    raise core.Wrong(
                        f"over all 5 words your probabilities sum to {total:.2f}, not 1: the cache's "
                        "probability of a word is count / size (the history's length), which sums to 1."
                    )
                raise core.Wrong(
                    f"for history {history} and weight {weight}: expected {numpy.round(want, 3)}, "
                    f"got {numpy.round(got, 3)}. The cache's probability is count / size."
                )

    return core.run(
        "Exercise 2 (the cache interpolation)",
        answer,
        test,
        success="a proper distribution that matches the package's, empty history included.",
    )
