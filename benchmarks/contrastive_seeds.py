"""Contrastive training of lesson 04's masked model over seeds: the numbers behind lesson 10's section 5.

Run alone (one torch thread): ``python -m benchmarks.contrastive_seeds`` (about 12 minutes of one core
here). Part 1 chooses the learning rate on held-out Wikipedia articles (the objective's own loss), never
on the Lee ratings; part 2 runs seeds 0-4 at that rate: the Lee 2005 correlation of lesson 04's model
before, after SimCSE (dropout views), after same-article pairs, and after the masked-LM control (the same
steps on the same text).
Writes ``benchmarks/contrastive_seeds.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy
import torch

from tlcourse import assets, contrastive, corpora, sentences

HERE = Path(__file__).resolve().parent
RATES = (3e-5, 1e-4, 3e-4, 1e-3)
DEV_ARTICLES = 16
SEEDS = (0, 1, 2, 3, 4)


def with_views(masked):
    """Lesson 04's model with SimCSE's dropout, untrained: the held-out loss before any step."""
    return contrastive.with_dropout(masked, contrastive.Config.dropout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=contrastive.Config.steps)
    parser.add_argument("--write", action="store_true", help="write benchmarks/contrastive_seeds.md")
    args = parser.parse_args()
    torch.set_num_threads(1)
    tokenizer, masked = assets.load("wiki_bert", "tiny")
    lee = assets.path("lee", "tiny")
    docs = corpora.load_lee(lee, part="rated")
    human = sentences.symmetric(corpora.load_lee_similarities(lee))
    train_articles, dev = contrastive.wiki_articles(dev=DEV_ARTICLES)
    train_sentences = [s for a in train_articles for s in a]
    lines = [f"{len(train_articles)} training articles ({len(train_sentences)} sentences), {len(dev)} dev"]

    def lee_r(model) -> float:
        return sentences.similarity_correlation(contrastive.document_vectors(tokenizer, model, docs), human)

    base = lee_r(masked.bert)
    lines.append(f"lesson 04's model: Lee r {base:.3f}")
    draws = {
        "same article": contrastive.same_article(train_articles),
        "SimCSE (dropout)": contrastive.dropout_views(train_sentences),
    }
    dev_draws = {
        "same article": contrastive.same_article(dev),
        "SimCSE (dropout)": contrastive.dropout_views([s for a in dev for s in a]),
    }
    dev_config = dataclasses.replace(contrastive.Config(), batch_size=DEV_ARTICLES)
    untrained = {
        n: contrastive.held_out_loss(with_views(masked), tokenizer, d, dev_config)
        for n, d in dev_draws.items()
    }
    lines.append("held-out loss before training: " + ", ".join(f"{n} {v:.3f}" for n, v in untrained.items()))
    print(lines, flush=True)
    rate_rows = []
    for name, draw in draws.items():
        for rate in RATES:
            config = dataclasses.replace(contrastive.Config(), steps=args.steps, lr=rate)
            start = time.perf_counter()
            model, losses = contrastive.train(masked, tokenizer, draw, config, seed=0)
            held_out = contrastive.held_out_loss(model, tokenizer, dev_draws[name], dev_config)
            row = (name, rate, held_out, lee_r(model.bert))
            rate_rows.append(row + (losses[-1], time.perf_counter() - start))
            print(rate_rows[-1], flush=True)
    chosen = {name: max((r for r in rate_rows if r[0] == name), key=lambda r: -r[2])[1] for name in draws}
    seed_rows = []
    for seed in SEEDS:
        row = {"seed": seed}
        for name, draw in draws.items():
            config = dataclasses.replace(contrastive.Config(), steps=args.steps, lr=chosen[name])
            row[name] = lee_r(contrastive.train(masked, tokenizer, draw, config, seed=seed)[0].bert)
        config = dataclasses.replace(contrastive.Config(), steps=args.steps, lr=chosen["same article"])
        row["masked LM"] = lee_r(
            contrastive.train(
                masked, tokenizer, draws["same article"], config, objective="masked", seed=seed
            )[0].bert
        )
        seed_rows.append(row)
        print(row, flush=True)
    report = render(lines, rate_rows, chosen, seed_rows, base, args.steps)
    print(report)
    if args.write:
        (HERE / "contrastive_seeds.md").write_text(report, encoding="utf-8")


def render(lines, rate_rows, chosen, seed_rows, base, steps) -> str:
    out = [
        "# Contrastive training of lesson 04's masked model: the rate, and the spread over seeds",
        "",
        "`python -m benchmarks.contrastive_seeds --write` (one torch thread; about 12 CPU-minutes). "
        f"{steps} steps of 32 pairs, temperature 0.05, dropout 0.1, sentences cut at 32 pieces. "
        + "; ".join(lines)
        + ".",
        "",
        "## 1. The rate, chosen on held-out articles (seed 0)",
        "",
        f"Held-out loss: the objective's own InfoNCE on 8 batches of {DEV_ARTICLES} pairs from the dev "
        "articles (dropout on), lower is better; the rate with the lowest is chosen for each kind of pair. "
        "The Lee column is shown, not used to choose.",
        "",
        "| pairs | rate | held-out loss | Lee r | last loss | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for name, rate, retrieval, r, loss, seconds in rate_rows:
        mark = " (chosen)" if chosen[name] == rate else ""
        out.append(f"| {name} | {rate:g}{mark} | {retrieval:.3f} | {r:.3f} | {loss:.3f} | {seconds:.0f} |")
    names = [k for k in seed_rows[0] if k != "seed"]
    out += [
        "",
        f"## 2. Lee r over seeds at the chosen rates (lesson 04's model: {base:.3f})",
        "",
        "| seed | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for row in seed_rows:
        out.append(f"| {row['seed']} | " + " | ".join(f"{row[n]:.3f}" for n in names) + " |")
    for n in names:
        values = numpy.array([row[n] for row in seed_rows])
        out.append(
            f"\n{n}: mean {values.mean():.3f}, sd {values.std(ddof=1):.3f}, min {values.min():.3f}, "
            f"max {values.max():.3f}; minus before: {values.min() - base:+.3f} to {values.max() - base:+.3f}"
        )
    if "same article" in names and "masked LM" in names:
        gap = numpy.array([row["same article"] - row["masked LM"] for row in seed_rows])
        out.append(
            f"\nsame article minus masked LM, seed by seed: {gap.min():+.3f} to {gap.max():+.3f} "
            f"(sd {gap.std(ddof=1):.3f})"
        )
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
