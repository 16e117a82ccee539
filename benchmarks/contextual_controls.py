"""Lesson 03's controls per layer: the sense gap beside its control word, the probe beside random encoders.

    .venv/bin/python -m benchmarks.contextual_controls   # prints and writes benchmarks/contextual_controls.md

The numbers the lesson's thresholds were chosen from (issue 16 items 1 and 2), in the `tiny` profile: the
same-minus-other-sense gap of the twelve ambiguous words, the gap of the control word "the" in the same
sentences and their difference, each with a 95% t-interval over words; the sentiment probe per layer on the
pretrained encoder and on randomly initialised encoders of the same architecture (seeds 0-4), with the
paired difference over the 5 x 10 fixed folds (corrected resampled t-interval). About 2 minutes on 2 cores.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy

ROOT = Path(__file__).resolve().parent.parent
SEEDS = range(5)


def main() -> int:
    from benchmarks import notebooks as bench
    from tlcourse import assets, contextual, probing, sentences, stats

    tokenizer, model = assets.load("encoder", "tiny")
    found = contextual.sense_vectors(tokenizer, model, contextual.ambiguous_words())
    same, other = contextual.sense_gaps(found.vectors, found.senses)
    control_same, control_other = contextual.sense_gaps(
        found.control, found.control_senses, sentences=found.control_sentences
    )
    gaps = {"word": same - other, "control 'the'": control_same - control_other}
    gaps["corrected (word - control)"] = gaps["word"] - gaps["control 'the'"]
    n_layers = same.shape[1]
    lines = [
        "# Lesson 03's controls per layer (tiny profile)",
        "",
        "`.venv/bin/python -m benchmarks.contextual_controls`. 95% intervals: over the 12 words (gaps),",
        "corrected resampled t over 5 x 10 fixed folds (probes).",
        "",
        f"- commit: {bench.commit()}; machine: {bench.machine()}",
        "",
        "## Same-sense minus other-sense cosine gap",
        "",
        "| layer | " + " | ".join(gaps) + " |",
        "|---:|" + "---|" * len(gaps),
    ]
    for layer in range(n_layers):
        cells = [str(stats.t_interval(g[:, layer].numpy())) for g in gaps.values()]
        lines.append(f"| {layer} | " + " | ".join(cells) + " |")

    reviews = assets.load("movie_reviews", "tiny")
    texts, labels = list(reviews["text"]), numpy.asarray(reviews["label"])
    n_test = len(reviews) // 10
    sizes = {"n_train": len(reviews) - n_test, "n_test": n_test}

    def probe(encoder) -> list:
        states, encoding = contextual.hidden_states(tokenizer, encoder, texts)
        features = sentences.mean_pool(states, encoding["attention_mask"]).numpy()
        return probing.probe_layers(probing.linear_probe, features, labels, reviews)

    real = probe(model)
    lines += ["", "## Sentiment probe: pretrained, and minus a random encoder of the same architecture", ""]
    header = [f"random seed {seed}: accuracy; difference" for seed in SEEDS]
    lines += ["| layer | pretrained | " + " | ".join(header) + " |"]
    lines += ["|---:|---|" + "---|" * len(SEEDS)]
    random_runs = [probe(contextual.random_encoder(model.config, seed=seed)) for seed in SEEDS]
    lowest = min(
        (stats.paired_difference(r.test, run[layer].test, **sizes).low, seed, layer)
        for seed, run in zip(SEEDS, random_runs)
        for layer, r in enumerate(real)
    )
    for layer, r in enumerate(real):
        cells = [
            f"{run[layer].test.mean():.3f}; {stats.paired_difference(r.test, run[layer].test, **sizes)}"
            for run in random_runs
        ]
        lines.append(f"| {layer} | {stats.cv_interval(r.test, **sizes)} | " + " | ".join(cells) + " |")
    low, seed, layer = lowest
    lines += ["", f"Smallest lower end of pretrained minus random: {low:.3f} (seed {seed}, layer {layer})."]
    print("\n".join(lines))
    (ROOT / "benchmarks" / "contextual_controls.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
