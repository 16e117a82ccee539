"""Fine-tuning through ``accelerate``: the same loop on one device, several GPUs or several machines.

Lesson 05 shows it beside the plain loop (:func:`tlcourse.finetuning.train`): ``accelerator.prepare``
wraps the model, optimizer, data loader and schedule; ``accelerator.backward(loss)`` replaces
``loss.backward()``; each process takes its share of every epoch's batches and test predictions are
summed over processes. The module is also the course's launchable entry point::

    accelerate launch -m tlcourse.distributed --out result.json      # whatever `accelerate config` says
    accelerate launch --multi_gpu --num_processes 2 -m tlcourse.distributed   # two processes (gloo on a CPU)

Shapes: ``B`` texts a batch, ``T`` word pieces (padded to the longest in the batch).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Sequence
from pathlib import Path

import numpy
import torch

from tlcourse import assets, compute, env, finetuning, folds


def train_accelerate(
    model: finetuning.Classifier,
    tokenizer,
    texts: Sequence[str],
    labels: Sequence[int],
    config: finetuning.FineTuneConfig,
    *,
    seed: int,
    test_texts: Sequence[str] = (),
    test_labels: Sequence[int] = (),
    accelerator=None,
    progress: bool = True,
) -> dict:
    """:func:`tlcourse.finetuning.train`'s loop with ``accelerate`` doing the devices: prepare,
    ``accelerator.backward``, gather.

    The same set-up (:func:`tlcourse.finetuning.start_run`) and the same batches. Each process takes its
    share of every epoch's batches (``prepare`` shards the loader); test predictions are gathered from
    all processes. Returns the :func:`tlcourse.finetuning.train` record plus ``accuracy`` (on the test
    texts, if given), ``processes`` and ``rank``.
    """
    import accelerate
    from tqdm.auto import tqdm

    accelerator = accelerator or accelerate.Accelerator(cpu=not torch.cuda.is_available())
    model.train()
    run = finetuning.start_run(model, tokenizer, texts, labels, config)
    ids, labels = run.ids, run.labels

    class _Batches(torch.utils.data.Dataset):  # one item = one padded batch, so bucketing survives sharding
        def __init__(self, epoch_batches):
            self.batches = epoch_batches

        def __len__(self):
            return len(self.batches)

        def __getitem__(self, index):
            batch = self.batches[index]
            inputs = finetuning.collate(
                [ids[i] for i in batch], pad_id=tokenizer.pad_token_id, pad_to=config.pad_to
            )
            return inputs | {"labels": torch.as_tensor(labels[batch], dtype=torch.long)}

    every_epoch = [
        b
        for epoch in range(run.epochs)
        for b in finetuning.batches_for(run.lengths, config, seed=finetuning.epoch_seed(seed, epoch))
    ]
    # batch_size=1 over ready-made batches: accelerate hands whole batches round-robin to the processes
    loader = torch.utils.data.DataLoader(
        _Batches(every_epoch), batch_size=1, shuffle=False, collate_fn=_first
    )
    # each process steps once per batch it sees: its share of all steps
    steps = math.ceil(len(every_epoch) / accelerator.num_processes)
    scheduler = finetuning.schedule(run.optimizer, steps, config.warmup)
    record = run.record
    # the loader's base seed and dropout draw from torch's global generators
    with folds.torch_seeded(seed, device=str(accelerator.device)):
        model, optimizer, loader, scheduler = accelerator.prepare(model, run.optimizer, loader, scheduler)
        for inputs in tqdm(
            loader,
            desc="fine-tune (accelerate)",
            disable=not (progress and accelerator.is_local_main_process),
            leave=False,
        ):
            started = time.perf_counter()
            loss = model(**inputs).loss
            optimizer.zero_grad(set_to_none=True)
            accelerator.backward(loss)
            accelerator.clip_grad_norm_(model.parameters(), config.clip)
            optimizer.step()
            scheduler.step()
            record["seconds"] += time.perf_counter() - started
            compute.tally(record, inputs, run.flops_at)
            record["loss"].append(loss.item())
    # Evaluate with the bare model, and let the wrapper go: on several processes it is a
    # DistributedDataParallel that holds the process group, and one collected only at interpreter exit can
    # abort the process ("terminate called without an active exception") after the group is destroyed.
    model = accelerator.unwrap_model(model)
    model.eval()
    finetuning.unfreeze_top(model, len(finetuning.layer_groups(model)))
    accelerator.free_memory(optimizer, scheduler, loader)
    del run, optimizer, scheduler, loader
    env.release_memory(collect=True)  # the wrapper sits in reference cycles (its hooks)
    record |= {"processes": accelerator.num_processes, "rank": accelerator.process_index}
    if len(test_texts):
        test_ids = finetuning.tokenize(tokenizer, test_texts, max_length=config.max_length)
        correct = torch.zeros(len(test_ids), device=accelerator.device)
        mine = list(range(accelerator.process_index, len(test_ids), accelerator.num_processes))
        with torch.no_grad():
            for start in range(0, len(mine), 64):
                part = mine[start : start + 64]
                inputs = {
                    k: v.to(accelerator.device)
                    for k, v in finetuning.collate(
                        [test_ids[i] for i in part], pad_id=tokenizer.pad_token_id
                    ).items()
                }
                predicted = model(**inputs).logits.argmax(-1)
                correct[part] = (
                    (predicted.cpu() == torch.as_tensor(numpy.asarray(test_labels)[part]))
                    .float()
                    .to(accelerator.device)
                )
        correct = accelerator.reduce(correct, reduction="sum")  # each process filled only its own texts
        record["accuracy"] = float(correct.mean())
    return record


def _first(items):
    return items[0]


def main(argv: list[str] | None = None) -> int:
    """``accelerate launch -m tlcourse.distributed``: fine-tune on one fixed fold, write a JSON result."""
    parser = argparse.ArgumentParser(prog="tlcourse.distributed", description=main.__doc__)
    parser.add_argument(
        "--model", help="a folder from_pretrained reads (default: the profile's classifier_base asset)"
    )
    parser.add_argument(
        "--data",
        help="a datasets folder (save_to_disk) with text, label, folds (default: the sentiment asset)",
    )
    parser.add_argument(
        "--profile", default=None, help="tiny, small or full (default: TLCOURSE_PROFILE, else tiny)"
    )
    parser.add_argument("--repeat", type=int, default=0)
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=finetuning.FineTuneConfig.epochs)
    parser.add_argument("--batch", type=int, default=finetuning.FineTuneConfig.batch)
    parser.add_argument("--lr", type=float, default=finetuning.FineTuneConfig.lr)
    parser.add_argument("--scratch", action="store_true", help="the same architecture with random weights")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", default="finetune_result.json", help="where the main process writes the result"
    )
    args = parser.parse_args(argv)

    import accelerate
    import transformers

    profile, _ = env.start_profile(args.profile, detect=False)
    accelerator = accelerate.Accelerator(cpu=not torch.cuda.is_available())
    folder = Path(args.model) if args.model else assets.load("classifier_base", profile)
    if args.data:
        import datasets

        dataset = datasets.load_from_disk(args.data)
    else:
        dataset = assets.load("sentiment", profile)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
    split = next(s for s in folds.splits(dataset) if s[:2] == (args.repeat, args.fold))
    texts, labels = numpy.asarray(dataset["text"], dtype=object), numpy.asarray(dataset["label"])
    config = finetuning.FineTuneConfig(epochs=args.epochs, batch=args.batch, lr=args.lr)
    model = finetuning.build_classifier(folder, pretrained=not args.scratch, seed=args.seed)
    record = train_accelerate(
        model,
        tokenizer,
        list(texts[split[2]]),
        labels[split[2]],
        config,
        seed=args.seed,
        test_texts=list(texts[split[3]]),
        test_labels=labels[split[3]],
        accelerator=accelerator,
    )
    everyone = accelerate.utils.gather_object([{k: record[k] for k in ("rank", "real_tokens", "seconds")}])
    if accelerator.is_main_process:
        result = {
            "accuracy": record["accuracy"],
            "processes": record["processes"],
            "ranks": sorted(r["rank"] for r in everyone),
            "real_tokens": sum(r["real_tokens"] for r in everyone),
            "steps": len(record["loss"]),
            "final_loss": record["loss"][-1] if record["loss"] else None,
            "model": str(folder),
            "scratch": args.scratch,
        }
        Path(args.out).write_text(json.dumps(result, indent=1), encoding="utf-8")
        print(json.dumps(result))
    accelerator.wait_for_everyone()
    del model
    env.release_memory(collect=True)  # nothing that holds the process group outlives it
    accelerator.end_training()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
