"""Checks for lesson 10's exercises: T5's span corruption, the document cache's interpolation, the
contrastive loss.

Each check runs the learner's function on held-out cases of its own (random masks over made-up
sequences, a five-word vocabulary with histories of several lengths), compares it with the
package's version, prints a verdict and returns a :class:`~tlcourse.checks.core.Result`.
"""

from __future__ import annotations

import numpy

from tlcourse import cache_lm, contrastive, span_corruption
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


def _contrastive_cases():
    """Pairs of batches ``(a, b)`` of several sizes, rows of unequal length, ``a @ b.T`` not symmetric."""
    import torch

    generator = torch.Generator().manual_seed(5)
    cases = []
    for rows, width in ((2, 3), (5, 8), (16, 32)):
        scale = torch.rand(rows, 1, generator=generator) * 4 + 0.5  # rows of different lengths
        a = torch.randn(rows, width, generator=generator) * scale
        b = a + 0.8 * torch.randn(rows, width, generator=generator)
        cases.append((a, b))
    return cases


def contrastive_loss(answer) -> core.Result:
    """Exercise 3: ``answer(a, b, *, temperature)`` -> InfoNCE, a scalar tensor, for ``(B, D)`` batches."""
    import torch

    def value(function, a, b, temperature):
        got = function(a.clone(), b.clone(), temperature=temperature)
        if not isinstance(got, torch.Tensor) or got.numel() != 1:
            raise core.Wrong("return the loss as a one-number tensor (the mean over the batch's rows).")
        return float(got)

    def test(function):
        import torch.nn.functional as F

        for a, b in _contrastive_cases():
            for temperature in (0.05, 0.5):
                got = value(function, a, b, temperature)
                want = float(contrastive.info_nce(a, b, temperature=temperature))
                if abs(got - want) <= 1e-4 * max(1.0, abs(want)):
                    continue
                targets = torch.arange(len(a))
                raw = a @ b.T / temperature
                unit = F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T
                if abs(got - float(F.cross_entropy(raw, targets))) < 1e-4 * max(1.0, abs(got)):
                    raise core.Wrong(
                        "the similarities must be cosines: scale each row to unit length first, or a long "
                        "vector wins by its length, not its direction."
                    )
                if abs(got - float(F.cross_entropy(unit, targets))) < 1e-4 * max(1.0, abs(got)):
                    raise core.Wrong(
                        "divide the cosines by the temperature before the cross-entropy: with cosines in "
                        "[-1, 1] the softmax stays nearly flat."
                    )
                if abs(got - float(F.cross_entropy(unit.T / temperature, targets))) < 1e-4 * max(1.0, got):
                    raise core.Wrong(
                        "row i of the logits is a[i] against every row of b (a @ b.T): you have b[i] "
                        "against the rows of a."
                    )
                if abs(got - float(-(unit.diag() / temperature).mean())) < 1e-4 * max(1.0, abs(got)):
                    raise core.Wrong(
                        "that only pulls each pair together: the other rows of b are the negatives, "
                        "so take the cross-entropy over the whole row, with the diagonal as the target."
                    )
                raise core.Wrong(
                    f"for a batch of {len(a)} at temperature {temperature}: expected {want:.4f}, got "
                    f"{got:.4f}. Cosine matrix (B, B) / temperature, cross-entropy, targets 0..B-1."
                )

    return core.run(
        "Exercise 3 (the contrastive loss)",
        answer,
        test,
        success="InfoNCE as SimCSE computes it, on every held-out batch and temperature.",
    )
