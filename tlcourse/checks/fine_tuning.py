"""Checks for lesson 05's exercises: the plain fine-tuning loop, length buckets, discriminative rates.

Each check tests behaviour on cases of its own (a tiny classifier trained for a few steps beside a
reference loop, thousands of made-up sentence lengths, several depths and factors), prints a verdict
and returns a :class:`~tlcourse.checks.core.Result`; ``result.use(fallback)`` picks what the lesson
goes on with.
"""

from __future__ import annotations

import numpy
import torch

from tlcourse import finetuning, folds
from tlcourse.checks import core


class _TinyClassifier(torch.nn.Module):
    """Bag of embeddings and a linear head: ``model(**batch).loss`` like a ``transformers`` classifier."""

    def __init__(self):
        super().__init__()
        with folds.torch_seeded(0):
            self.embed = torch.nn.Embedding(30, 8)
            self.head = torch.nn.Linear(8, 2)

    def forward(self, input_ids, attention_mask, labels=None):
        from transformers.modeling_outputs import SequenceClassifierOutput

        mask = attention_mask.unsqueeze(-1).float()
        pooled = (self.embed(input_ids) * mask).sum(1) / mask.sum(1)
        logits = self.head(pooled)
        loss = torch.nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits * 10)


def _batches(n_batches: int = 6, seed: int = 0) -> list[dict]:
    generator = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n_batches):
        ids = torch.randint(1, 30, (4, 5), generator=generator)
        mask = torch.ones(4, 5, dtype=torch.long)
        mask[0, 3:] = 0
        out.append(
            {
                "input_ids": ids,
                "attention_mask": mask,
                "labels": torch.randint(0, 2, (4,), generator=generator),
            }
        )
    return out


def _setup(lr: float = 0.5):
    model = _TinyClassifier()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    scheduler = finetuning.schedule(optimizer, total_steps=6, warmup=0.34)
    return model, optimizer, scheduler


def _variant(model, batches, optimizer, scheduler, *, clip, zero=True, step_schedule=True, clipping=True):
    losses = []
    for batch in batches:
        loss = model(**batch).loss
        if zero:
            optimizer.zero_grad()
        loss.backward()
        if clipping:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        if step_schedule:
            scheduler.step()
        losses.append(loss.item())
    return model, losses


def _same(a, b) -> bool:
    return all(torch.allclose(p, q, atol=1e-5) for p, q in zip(a.parameters(), b.parameters()))


def fit(answer) -> core.Result:
    """Exercise 2: ``answer(model, batches, optimizer, scheduler, *, clip=..., progress=...)`` trains one
    epoch, returns losses."""

    def test(function):
        batches = _batches()
        model, optimizer, scheduler = _setup()
        losses = function(model, batches, optimizer, scheduler, clip=0.05, progress=False)
        reference = {}
        for name, kwargs in {
            "right": {},
            "no zero": {"zero": False},
            "no schedule": {"step_schedule": False},
            "no clip": {"clipping": False},
        }.items():
            m, o, s = _setup()
            reference[name] = _variant(m, _batches(), o, s, clip=0.05, **kwargs)
        if not isinstance(losses, (list, tuple)) or len(losses) != len(batches):
            raise core.Wrong(f"return a list with one loss (a float) per batch: {len(batches)} batches here.")
        if _same(model, reference["right"][0]):
            if not numpy.allclose([float(x) for x in losses], reference["right"][1], atol=1e-5):
                raise core.Wrong(
                    "the model trained right, but return each batch's loss before its step, as a float "
                    "(loss.item())."
                )
            return
        if _same(model, reference["no zero"][0]):
            raise core.Wrong(
                "gradients pile up across steps: call optimizer.zero_grad() before each loss.backward()."
            )
        if _same(model, reference["no schedule"][0]):
            raise core.Wrong(
                "the learning rate never warms up or decays: call scheduler.step() after each "
                "optimizer.step()."
            )
        if _same(model, reference["no clip"][0]):
            raise core.Wrong(
                "clip the gradients' norm to `clip` between backward and the step: "
                "torch.nn.utils.clip_grad_norm_(model.parameters(), clip)."
            )
        raise core.Wrong(
            "after 6 steps the weights differ from the reference loop's: per batch, loss = "
            "model(**batch).loss, "
            "zero_grad, backward, clip, optimizer.step(), scheduler.step()."
        )

    return core.run(
        "Exercise 2 (the fine-tuning loop)",
        answer,
        test,
        success="step for step the same weights as the reference loop.",
    )


def length_buckets(answer) -> core.Result:
    """Exercise 1: ``answer(lengths, batch_size, *, seed=...)`` -> batches of indices with little padding."""

    def test(function):
        rng = numpy.random.default_rng(5)
        lengths = numpy.clip(
            rng.lognormal(3.2, 0.5, size=997).astype(int), 3, 128
        ).tolist()  # held out: made-up lengths
        for batch_size in (16, 7):
            batches = function(lengths, batch_size, seed=1)
            try:
                batches = [[int(i) for i in batch] for batch in batches]
            except TypeError:
                raise core.Wrong("return a list of batches, each a list of indices into `lengths`.") from None
            flat = sorted(i for batch in batches for i in batch)
            if flat != list(range(len(lengths))):
                missing = len(set(range(len(lengths))) - set(flat))
                raise core.Wrong(
                    f"every example must be in exactly one batch ({missing} missing, "
                    f"{len(flat) - len(set(flat))} repeated): keep the last, shorter batch too."
                )
            if max(len(b) for b in batches) > batch_size:
                raise core.Wrong(f"no batch may hold more than batch_size={batch_size} examples.")
            ours = finetuning.padding_share(batches, lengths)
            shuffled = finetuning.padding_share(
                finetuning.random_batches(len(lengths), batch_size, seed=1), lengths
            )
            if ours > shuffled / 3:
                raise core.Wrong(
                    f"{ours:.0%} of the positions are padding, against {shuffled:.0%} for shuffled batches: "
                    "put texts of similar length together (sort by length, then cut into batches)."
                )
            longest = numpy.array([max(lengths[i] for i in batch) for batch in batches])
            steps = numpy.sign(numpy.diff(longest))
            steps = steps[steps != 0]
            # shuffled batches rise about half the time; sorted ones (even window by window) nearly always
            if steps.size and max((steps > 0).mean(), (steps < 0).mean()) > 0.8:
                raise core.Wrong(
                    "the batches come in order of length, so training sees short texts first, then long "
                    "ones: "
                    "shuffle the order of the batches too."
                )
        again, other = function(lengths, 16, seed=1), function(lengths, 16, seed=2)
        same = [[int(i) for i in b] for b in again] == [
            [int(i) for i in b] for b in function(lengths, 16, seed=1)
        ]
        core.expect(
            same,
            "two calls with the same seed gave different batches: draw every random choice from "
            "a generator made from `seed` (numpy.random.default_rng(seed)).",
        )
        core.expect(
            [[int(i) for i in b] for b in again] != [[int(i) for i in b] for b in other],
            "seed=1 and seed=2 gave the same batches: the seed must decide the shuffling.",
        )

    return core.run(
        "Exercise 1 (length-bucketed batches)",
        answer,
        test,
        success="every example once, and far less padding than shuffled batches.",
    )


def discriminative_lrs(answer) -> core.Result:
    """Exercise 3: ``answer(base_lr, n_groups, *, factor=2.6)`` -> rates from the top group down."""

    def test(function):
        for base, n, factor in ((1e-3, 8, 2.6), (2e-5, 3, 2.0)):
            got = function(base, n, factor=factor)
            try:
                got = [float(x) for x in got]
            except TypeError:
                raise core.Wrong("return a list of learning rates, one per layer group.") from None
            expected = finetuning.discriminative_lrs(base, n, factor=factor)
            if len(got) != n:
                raise core.Wrong(f"return one rate per group: {n} groups, got {len(got)}.")
            if numpy.allclose(got, expected, rtol=1e-9):
                continue
            if numpy.allclose(got, expected[::-1], rtol=1e-9):
                raise core.Wrong(
                    "the list starts from the top (the head gets base_lr) and goes down to the embeddings."
                )
            if numpy.allclose(got, [base * factor**k for k in range(n)], rtol=1e-9):
                raise core.Wrong(
                    "lower layers learn more slowly: divide by the factor at each step down, do not multiply."
                )
            if numpy.allclose(got, [base / factor ** (k + 1) for k in range(n)], rtol=1e-9):
                raise core.Wrong(
                    "the top group (the head) keeps base_lr itself; the next one down gets base_lr / factor."
                )
            raise core.Wrong(
                f"with base_lr={base}, {n} groups, factor={factor}: expected "
                f"{[f'{x:.3g}' for x in expected]}, got {[f'{x:.3g}' for x in got]}."
            )

    return core.run(
        "Exercise 3 (discriminative learning rates)",
        answer,
        test,
        success="each group down learns factor times more slowly.",
    )
