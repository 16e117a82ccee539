"""Pretrain the small masked model that ships in ``tlcourse/data/wiki_bert_mini`` (maintainers' tool).

Lesson 04 loads its result as the ``wiki_bert`` asset. It was run once, on a CPU, as::

    TLCOURSE_PROFILE=tiny python tools/pretrain_masked.py --out tlcourse/data/wiki_bert_mini --threads 1

and the masking comparison shipped beside it (``masking_comparison.json``) as two processes, one share each,
whose lists were joined (each run is seeded on its own, so this equals ``--compare 0.15 0.4``)::

    TLCOURSE_PROFILE=tiny python tools/pretrain_masked.py --out OUT --compare 0.15 --steps 2000 --threads 1
    TLCOURSE_PROFILE=tiny python tools/pretrain_masked.py --out OUT --compare 0.4 --steps 2000 --threads 1

One thread: on a 2-core machine shared with other work, two threads ran many times slower.
``--steps`` shortens the run (the tests run a few steps and check that the loss falls).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, required=True, help="folder to write model, tokenizer and training_log.json into"
    )
    parser.add_argument(
        "--steps", type=int, default=None, help="training steps (default: the shipped recipe's)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: all available)"
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--compare",
        type=float,
        nargs="*",
        default=None,
        metavar="SHARE",
        help="instead of training, run shorter runs that choose these shares of tokens for masking "
        "and write masking_comparison.json",
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from tlcourse import env, pretraining

    env.go_offline()
    import torch

    torch.set_num_threads(args.threads or env.available_cpus())
    if args.compare is not None:
        import json

        runs = pretraining.compare_masking(
            tuple(args.compare or (0.15, 0.4)), steps=args.steps or 1500, seed=args.seed, device=args.device
        )
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "masking_comparison.json").write_text(json.dumps(runs, indent=1), encoding="utf-8")
        for run in runs:
            last = run["history"][-1]
            print(
                f"mask {run['mask_probability']:.0%}: held-out [MASK] loss after {run['steps']} steps "
                f"{last['valid_mask_loss']:.3f}"
            )
        return 0
    history = pretraining.pretrain_masked(args.out, steps=args.steps, seed=args.seed, device=args.device)
    first, last = history[0], history[-1]
    print(
        f"step {first['step']}: valid {first['valid_loss']:.3f}; step {last['step']}: valid "
        f"{last['valid_loss']:.3f} "
        f"(top-1 {last['valid_accuracy']:.3f}) in {last['seconds']:.0f} s -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
