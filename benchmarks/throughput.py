"""Benchmark: fine-tuning throughput of the packaged encoder, in real tokens/s and as a share of a matmul.

    .venv/bin/python -m benchmarks.throughput            # writes benchmarks/throughput.md

Fine-tunes all-MiniLM-L6-v2 (the `tiny` profile's encoder) on the 200 bundled sentences, 2 epochs of
batches of 16, four ways: the plain loop with length-bucketed batches, with shuffled batches padded to the
longest, with every batch padded to 64, and the same bucketed loop through `accelerate`. For each: real
(unpadded) tokens per second, the model FLOPs they stand for (6 N + 12 L T d a token, N non-embedding
parameters, T the batch's padded length), the FLOP/s of a float32 2048x2048 matrix product timed in the
same run (best of 5, before and after), and their ratio. Run it on a quiet machine: the numbers are
per-process CPU (or GPU) rates and anything else running lowers them.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
from pathlib import Path

from benchmarks import notebooks as bench  # commit and machine lines shared by the benchmark tables

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "benchmarks" / "throughput.md"


def machine() -> str:
    """The benchmark runner's machine line, with the GPU and torch version that set these rates."""
    import torch

    gpu = f", GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ""
    return f"{bench.machine()}{gpu}, torch {torch.__version__}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--out", default=str(TABLE))
    args = parser.parse_args(argv)

    os.environ.setdefault("TLCOURSE_PROFILE", "tiny")
    from tlcourse import env

    environment = env.setup(seed=0, verbose=False)
    import accelerate
    import numpy
    import transformers

    from tlcourse import assets, compute, distributed, finetuning

    reviews = assets.load("movie_reviews", "tiny")
    folder = assets.path("encoder", "tiny")
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
    texts, labels = list(reviews["text"]), numpy.asarray(reviews["label"])
    base = finetuning.FineTuneConfig(epochs=args.epochs, batch=16)
    matmul = compute.matmul_flops_per_second(device=environment.device)
    runs = {
        "plain loop, length-bucketed": base,
        "plain loop, shuffled, padded to the longest": dataclasses.replace(base, bucket=False),
        "plain loop, shuffled, padded to 64": dataclasses.replace(base, bucket=False, pad_to=64),
    }
    # warm-up: the first steps of a process are slow (allocator, kernels chosen); time nothing of them
    finetuning.train(
        finetuning.build_classifier(folder, pretrained=True, seed=0),
        tokenizer,
        texts[:64],
        labels[:64],
        base,
        seed=0,
        device=environment.device,
        progress=False,
    )
    records = {}
    for name, config in runs.items():
        model = finetuning.build_classifier(folder, pretrained=True, seed=0)
        records[name] = finetuning.train(
            model, tokenizer, texts, labels, config, seed=0, device=environment.device, progress=False
        )
        print(name, compute.throughput(records[name], matmul), flush=True)
    model = finetuning.build_classifier(folder, pretrained=True, seed=0)
    records["accelerate, length-bucketed"] = distributed.train_accelerate(
        model,
        tokenizer,
        texts,
        labels,
        base,
        seed=0,
        progress=False,
        accelerator=accelerate.Accelerator(cpu=environment.device == "cpu"),
    )
    # the better of two timings, before and after: the fraction should not flatter a busy moment
    matmul = max(matmul, compute.matmul_flops_per_second(device=environment.device))
    rows = [(name, compute.throughput(record, matmul)) for name, record in records.items()]

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Fine-tuning throughput (lesson 05)",
        "",
        "all-MiniLM-L6-v2 fine-tuned on the 200 bundled sentences, batches of 16, "
        f"{args.epochs} epochs. `.venv/bin/python -m benchmarks.throughput`.",
        "Model FLOPs: 6 N + 12 L T d a real token (N non-embedding parameters, T the batch's padded length); "
        "the yardstick is a float32 2048x2048 matmul timed in the same run.",
        "",
        f"- commit: {bench.commit()}; date: {now}; machine: {machine()}; device: {environment.device}, "
        f"{environment.threads} threads",
        f"- float32 2048x2048 matmul: {matmul / 1e9:.1f} GFLOP/s",
        "",
        "| run | padding | real tokens/s | model GFLOP/s | matmul GFLOP/s | fraction of matmul |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['padding_share']:.0%} | {r['tokens_per_s']:,.0f} | "
            f"{r['model_flops_per_s'] / 1e9:.1f} | "
            f"{r['matmul_flops_per_s'] / 1e9:.1f} | {r['fraction_of_matmul']:.0%} |"
        )
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
