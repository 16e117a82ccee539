"""Benchmark: lesson 04's peak learning rate, chosen on held-out blocks the lesson never asserts on.

    .venv/bin/python -m benchmarks.lm_learning_rate   # rewrites benchmarks/lm_learning_rate.md

The lesson trains a 2-layer causal model for ``tiny``'s 150 steps of 16 blocks and asserts its margin below
the unigram line on held-out blocks 0-255. Here each rate is trained with seeds 0, 1, 2 and scored on the
*tuning* blocks, held-out blocks 256 onwards; the rate with the lowest mean loss there is the lesson's
``LR``. Then, at that rate, the margin on the lesson's own blocks 0-255 over seeds 0-4: the spread its
asserted threshold is chosen from. One torch thread, so each row is reproducible. Nothing is asserted.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "benchmarks" / "lm_learning_rate.md"
RATES = (5e-4, 1e-3, 2e-3, 4e-3)
TUNING_SEEDS = (0, 1, 2)
MARGIN_SEEDS = (0, 1, 2, 3, 4)
STEPS, BATCH, LAYERS = 150, 16, 2  # the lesson's tiny parameters
ASSERTED = slice(0, 256)  # the held-out blocks the lesson's margin is asserted on
TUNING = slice(256, None)  # the other held-out blocks: the rate is chosen here


def main() -> None:
    os.environ.setdefault("TLCOURSE_PROFILE", "tiny")
    import numpy
    import torch

    from tlcourse import assets, env, lm, ngram, pretraining

    env.go_offline()
    torch.set_num_threads(1)
    tokenizer = assets.load("wiki_wordpiece", "tiny")
    train_blocks, valid_blocks = pretraining.wiki_blocks(tokenizer, block=64)
    vocab = len(tokenizer)
    pairs = ngram.causal_pairs(train_blocks), ngram.causal_pairs(valid_blocks)
    unigram = ngram.unigram_cross_entropy(pairs[0][1], pairs[1][1], vocab_size=vocab)  # as the lesson

    def run(rate: float, seed: int) -> dict[str, float]:
        model = lm.build(lm.ModelConfig(kind="causal", layers=LAYERS), vocab_size=vocab, seed=seed)
        config = lm.TrainConfig(steps=STEPS, batch=BATCH, lr=rate, eval_every=STEPS)
        lm.train(model, train_blocks, config, seed=seed, progress=False)
        return {
            name: lm.evaluate(model, valid_blocks[part])["loss"]
            for name, part in (("tuning", TUNING), ("asserted", ASSERTED))
        }

    started = time.time()
    results = {(rate, seed): run(rate, seed) for rate in RATES for seed in TUNING_SEEDS}
    tuning = {rate: numpy.mean([results[rate, s]["tuning"] for s in TUNING_SEEDS]) for rate in RATES}
    chosen = min(tuning, key=tuning.get)
    for seed in MARGIN_SEEDS:
        if (chosen, seed) not in results:
            results[chosen, seed] = run(chosen, seed)
    margins = numpy.array([unigram - results[chosen, s]["asserted"] for s in MARGIN_SEEDS])
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    lines = [
        "# Lesson 04: the peak learning rate, chosen on held-out blocks the lesson does not assert on",
        "",
        f"Written by `python -m benchmarks.lm_learning_rate` at commit {head.stdout.strip()} on "
        f"{datetime.date.today()} ({platform.machine()}, one torch thread, {time.time() - started:.0f} s "
        "on a shared machine). A 2-layer causal model, 150 steps of 16 blocks of 64 tokens (the lesson's "
        "`tiny` run), AdamW with warm-up and cosine decay.",
        "",
        f"Held-out loss (nats) on the tuning blocks (held-out blocks 256-{len(valid_blocks) - 1}), "
        "seeds " + ", ".join(map(str, TUNING_SEEDS)) + ":",
        "",
        "| peak rate | " + " | ".join(f"seed {s}" for s in TUNING_SEEDS) + " | mean |",
        "|---|" + "---|" * (len(TUNING_SEEDS) + 1),
    ]
    for rate in RATES:
        cells = " | ".join(f"{results[rate, s]['tuning']:.3f}" for s in TUNING_SEEDS)
        mark = " (chosen)" if rate == chosen else ""
        lines.append(f"| {rate:g}{mark} | {cells} | {tuning[rate]:.3f} |")
    lines += [
        "",
        f"At {chosen:g}, the margin below the unigram line ({unigram:.3f} nats) on the blocks the lesson "
        "asserts on (held-out blocks 0-255), seeds "
        + ", ".join(map(str, MARGIN_SEEDS))
        + ": "
        + ", ".join(f"{m:.3f}" for m in margins)
        + f" (mean {margins.mean():.3f}, sd {margins.std(ddof=1):.3f}, lowest {margins.min():.3f}).",
        "",
    ]
    TABLE.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
