"""Peak memory of fine-tuning the `small` profile's classifier base alone (Binder caps a session at 2 GB).

    .venv/bin/python -m benchmarks.finetune_memory            # prints the table and writes
    benchmarks/finetune_memory.md

Lesson 05's `small` estimate (benchmarks/small_memory.py) ran over the cap; this isolates the cause. Each row
is a fresh process that builds DistilBERT-base's architecture with random weights (the stand-in of
benchmarks/small_memory.py), wraps it in the lesson's classifier and fine-tunes it with `finetuning.train`
(AdamW, batches of 16 length-bucketed sentences) on 160 of the bundled sentences, then reports the process's
peak resident memory. An ESTIMATE of the same kind as small_memory.py: real sizes and code, random weights.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_RUN = """
import resource, sys
from pathlib import Path
import torch, transformers
from benchmarks import small_memory
from tlcourse import corpora, finetuning
folder = Path({folder!r})
if not (folder / "config.json").exists():
    small_memory._random_distilbert(folder)
texts, labels = corpora.read_polarity()
tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
model = finetuning.build_classifier(folder, pretrained=True, seed=0)
config = finetuning.FineTuneConfig(epochs=1, freeze_embeddings={freeze_embeddings!r})
finetuning.train(model, tokenizer, list(texts[:160]), list(labels[:160]), config, seed=0, device="cpu",
progress=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for freeze in (False, True):
            code = _RUN.format(folder=str(Path(scratch) / "distilbert"), freeze_embeddings=freeze)
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
            )
            rows.append(
                ("embeddings frozen" if freeze else "every weight trained", int(out.stdout.split()[-1]))
            )
    from benchmarks import notebooks as bench

    lines = [
        "# Peak memory of fine-tuning DistilBERT alone (an ESTIMATE: random weights, real sizes and code)",
        "",
        "`.venv/bin/python -m benchmarks.finetune_memory`: a fresh process per row, 160 bundled sentences, "
        "one epoch.",
        "",
        f"- commit: {bench.commit()}; machine: {bench.machine()}",
        "",
        "| DistilBERT-base stand-in, fine-tuned (batch 16, AdamW) | peak resident MB |",
        "|---|---:|",
        *[f"| {name} | {megabytes} |" for name, megabytes in rows],
    ]
    print("\n".join(lines))
    (ROOT / "benchmarks" / "finetune_memory.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
