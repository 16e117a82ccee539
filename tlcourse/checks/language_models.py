"""Checks for lesson 04's exercises: the unigram reference line, next-word targets, BERT's masking.

Each check tests behaviour on cases of its own against a trusted reference (counting by hand,
``GPT2LMHeadModel``'s own loss, the statistics of many draws), prints a verdict and returns a
:class:`~tlcourse.checks.core.Result`; ``result.use(fallback)`` picks what the lesson goes on with.
"""

from __future__ import annotations

import math

import numpy
import torch

from tlcourse import folds
from tlcourse.checks import core


def unigram_cross_entropy(answer) -> core.Result:
    """Exercise 1: ``answer(train_tokens, eval_tokens, *, vocab_size, k)`` in nats, add-k smoothed."""

    def test(function):
        train = numpy.array([0, 0, 0, 1, 1, 2, 0, 1])  # counts 4, 3, 1, 0 over a vocabulary of 4
        held_out = numpy.array([0, 1, 3, 0])  # token 3 never occurs in training
        got = function(train, held_out, vocab_size=4, k=1.0)
        expected = -numpy.mean(numpy.log(numpy.array([5, 4, 1, 5]) / 12))
        core.expect(
            numpy.isfinite(got),
            "the answer is infinite or NaN: a token never seen in training gets probability 0 "
            "unless you add k to every count (add-k smoothing: (count + k) / (total + k * vocab_size)).",
        )
        core.expect(
            not math.isclose(got, expected / math.log(2), rel_tol=1e-6),
            "that is in bits: use the natural log (nats), as PyTorch's cross_entropy does.",
        )
        fitted_on_eval = -numpy.mean(
            numpy.log((numpy.bincount(held_out, minlength=4)[held_out] + 1) / (4 + 4))
        )
        core.expect(
            not math.isclose(got, fitted_on_eval, rel_tol=1e-6),
            "count the tokens of the *training* text; the held-out text is only scored.",
        )
        core.expect(
            math.isclose(got, expected, rel_tol=1e-6),
            f"expected {expected:.4f} nats on the check's small case, got {float(got):.4f}: "
            "p(w) = (count(w) + k) / (total + k * vocab_size), then the mean of -log p over the held-out "
            "tokens.",
        )
        unseen = function(numpy.array([0, 0, 1]), numpy.array([3, 3]), vocab_size=5, k=0.5)
        core.expect(
            math.isclose(unseen, -math.log(0.5 / (3 + 2.5)), rel_tol=1e-6),
            "use the k you are given (the check also tries k=0.5).",
        )
        big = numpy.random.default_rng(0).integers(0, 50, 5000)
        reference = -numpy.log(
            (numpy.bincount(big[:4000], minlength=50)[big[4000:]] + 1) / (4000 + 50)
        ).mean()
        core.expect(
            math.isclose(
                function(torch.tensor(big[:4000]), torch.tensor(big[4000:]), vocab_size=50, k=1.0),
                reference,
                rel_tol=1e-5,
            ),
            "it must also accept torch tensors (the lesson passes blocks of token ids): flatten them with "
            "numpy.asarray(...).ravel().",
        )

    return core.run(
        "Exercise 1 (the unigram line)",
        answer,
        test,
        success="add-k unigram cross-entropy in nats, fitted on training text only.",
    )


def _tiny_gpt2(seed: int = 0):
    import transformers

    config = transformers.GPT2Config(
        vocab_size=31, n_positions=16, n_embd=16, n_layer=1, n_head=2, bos_token_id=0, eos_token_id=0
    )
    with folds.torch_seeded(seed):
        return transformers.GPT2LMHeadModel(config).eval()


def next_word_loss(answer) -> core.Result:
    """Exercise 2: ``answer(logits, input_ids)`` is the mean next-token cross-entropy GPT-2 computes."""

    def test(function):
        model = _tiny_gpt2()
        ids = torch.randint(0, 31, (3, 9), generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            out = model(input_ids=ids, labels=ids)
        got = function(out.logits, ids)
        core.expect(
            isinstance(got, torch.Tensor) and got.dim() == 0,
            "return one number: a 0-dimensional tensor (the mean loss), so it can be backpropagated.",
        )
        unshifted = torch.nn.functional.cross_entropy(out.logits.reshape(-1, 31), ids.reshape(-1))
        core.expect(
            not torch.isclose(got, unshifted, atol=1e-5),
            "position t must predict token t+1, not token t itself: drop the last prediction "
            "(logits[:, :-1]) and the first target (input_ids[:, 1:]).",
        )
        backwards = torch.nn.functional.cross_entropy(
            out.logits[:, 1:].reshape(-1, 31), ids[:, :-1].reshape(-1)
        )
        core.expect(
            not torch.isclose(got, backwards, atol=1e-5),
            "the shift goes the wrong way: logits[:, :-1] are scored against input_ids[:, 1:].",
        )
        per_position = torch.stack(
            [-torch.log_softmax(out.logits[b, t], -1)[ids[b, t + 1]] for b in range(3) for t in range(8)]
        ).mean()
        core.expect(
            torch.isclose(got, per_position, atol=1e-5),
            f"expected {per_position:.4f} (a loop over every position), got {float(got):.4f}: "
            "the mean cross-entropy over all B * (T - 1) next-token predictions.",
        )
        core.expect(
            torch.isclose(got, out.loss, atol=1e-5), "it differs from GPT2LMHeadModel(labels=input_ids).loss."
        )
        longer = torch.randint(0, 31, (2, 14), generator=torch.Generator().manual_seed(2))
        with torch.no_grad():
            reference = model(input_ids=longer, labels=longer)
        core.expect(
            torch.isclose(function(reference.logits, longer), reference.loss, atol=1e-5),
            "it fails on another batch shape (2 x 14): avoid fixed sizes.",
        )

    return core.run(
        "Exercise 2 (next-word targets)",
        answer,
        test,
        success="your loss equals GPT-2's own, position by position.",
    )


def mask_tokens(answer) -> core.Result:
    """Exercise 3: ``answer(input_ids, *, mask_id, vocab_size, special_ids, probability, generator)`` ->
    (inputs, labels)."""

    def test(function):
        ids = torch.randint(5, 1000, (400, 500), generator=torch.Generator().manual_seed(0))
        ids[:, 0], ids[:, -1] = 2, 3  # [CLS] ... [SEP]
        original = ids.clone()
        inputs, labels = function(
            ids,
            mask_id=4,
            vocab_size=1000,
            special_ids=(0, 1, 2, 3, 4),
            probability=0.15,
            generator=torch.Generator().manual_seed(1),
        )
        core.expect(
            torch.equal(ids, original),
            "input_ids was modified in place: work on a copy (clone) and return new tensors.",
        )
        core.expect(
            inputs.shape == ids.shape and labels.shape == ids.shape,
            f"return inputs and labels shaped like input_ids {tuple(ids.shape)}.",
        )
        chosen = labels != -100
        core.expect(
            bool((labels[chosen] == ids[chosen]).all()),
            "where a token is chosen, its label is the original token.",
        )
        share = chosen.float().mean().item()
        core.expect(
            share < 0.5,
            "almost every label is set: labels must be -100 wherever a token is not chosen, so the loss sees "
            "only the chosen ones.",
        )
        core.expect(
            not bool(chosen[:, [0, -1]].any()),
            "special tokens ([CLS], [SEP], ...) must never be chosen: leave them out of the draw.",
        )
        core.expect(
            abs(share - 0.15 * 498 / 500) < 0.005,
            f"{share:.1%} of the tokens were chosen; choose each non-special token with the given "
            f"probability (15%).",
        )
        core.expect(
            bool((inputs[~chosen] == ids[~chosen]).all()),
            "tokens that were not chosen must stay as they are in the inputs.",
        )
        masked = (inputs[chosen] == 4).float().mean().item()
        kept = (inputs[chosen] == ids[chosen]).float().mean().item()
        replaced = 1 - masked - kept
        core.expect(
            masked < 0.99,
            "every chosen token became [MASK]: BERT replaces only 80% of them; 10% get a random token and "
            "10% stay unchanged.",
        )
        core.expect(
            abs(masked - 0.8) < 0.02, f"{masked:.0%} of the chosen tokens became [MASK]; it should be 80%."
        )
        core.expect(
            abs(replaced - 0.1) < 0.015 and abs(kept - 0.1) < 0.02,
            f"of the chosen tokens {replaced:.0%} got a random token and {kept:.0%} "
            "stayed: it should be 10% each (a random token can equal the original by chance, rarely).",
        )
        again, _ = function(
            ids,
            mask_id=4,
            vocab_size=1000,
            special_ids=(0, 1, 2, 3, 4),
            probability=0.15,
            generator=torch.Generator().manual_seed(1),
        )
        core.expect(
            torch.equal(inputs, again),
            "the same generator seed must give the same masks: pass generator= to every torch.rand/randint.",
        )
        sparse, _ = function(
            ids,
            mask_id=4,
            vocab_size=1000,
            special_ids=(0, 1, 2, 3, 4),
            probability=0.3,
            generator=torch.Generator().manual_seed(2),
        )
        core.expect(
            abs((sparse != ids).float().mean().item() - 0.3 * 0.9) < 0.01,
            "use the probability you are given (the check also tries 0.3).",
        )

    return core.run(
        "Exercise 3 (masking 80/10/10)",
        answer,
        test,
        success="15% chosen, then 80% [MASK], 10% random, 10% kept; specials untouched.",
    )
