"""tlcourse.finetuning against references that are not itself: the tokenizer's own padding, a per-group
loop, closed-form schedules, hand-counted FLOPs, the plain loop against accelerate, and a real
``accelerate launch`` with two CPU processes. Models are tiny random BERTs written with
``save_pretrained``."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import numpy
import pytest
import torch
from conftest import random_bert, subprocess_env

from tlcourse import compute, corpora, distributed, finetuning, folds


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory) -> Path:
    """A 2-layer, 32-wide random BERT with the packaged encoder's tokenizer, laid out as the hub gives it."""
    return random_bert(
        tmp_path_factory.mktemp("tiny_bert"),
        seed=12345,  # not a seed build_classifier uses, so a scratch model differs from it
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )


@pytest.fixture(scope="module")
def tokenizer(tiny_bert):
    import transformers

    return transformers.AutoTokenizer.from_pretrained(str(tiny_bert))


@pytest.fixture(scope="module")
def texts_labels():
    texts, labels = corpora.read_polarity()
    return texts[:40] + texts[-40:], labels[:40] + labels[-40:]


def test_collate_matches_the_tokenizers_padding(tokenizer, texts_labels):
    texts = texts_labels[0][:7]
    ours = finetuning.collate(finetuning.tokenize(tokenizer, texts), pad_id=tokenizer.pad_token_id)
    theirs = tokenizer(texts, padding=True, truncation=True, max_length=64, return_tensors="pt")
    assert torch.equal(ours["input_ids"], theirs["input_ids"])
    assert torch.equal(ours["attention_mask"], theirs["attention_mask"])
    fixed = finetuning.collate(
        finetuning.tokenize(tokenizer, texts), pad_id=tokenizer.pad_token_id, pad_to=64
    )
    assert fixed["input_ids"].shape == (7, 64) and torch.equal(
        fixed["attention_mask"].sum(1), theirs["attention_mask"].sum(1)
    )


def test_length_buckets_cover_everything_once_with_little_padding():
    lengths = numpy.random.default_rng(0).integers(5, 70, size=503).tolist()
    batches = finetuning.length_buckets(lengths, 16, seed=3)
    assert sorted(i for b in batches for i in b) == list(range(503))
    assert max(len(b) for b in batches) <= 16
    bucketed = finetuning.padding_share(batches, lengths)
    shuffled = finetuning.padding_share(finetuning.random_batches(503, 16, seed=3), lengths)
    assert bucketed < shuffled / 4
    # padding_share against a direct count
    real = sum(lengths)
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    assert bucketed == pytest.approx(1 - real / padded)
    assert finetuning.length_buckets(lengths, 16, seed=3) == batches  # seeded


def test_classifier_is_a_head_on_mean_pooled_hidden_states(tiny_bert, tokenizer, texts_labels):
    model = finetuning.build_classifier(tiny_bert, pretrained=True, seed=0).eval()
    inputs = tokenizer(texts_labels[0][:5], padding=True, return_tensors="pt")
    inputs = {k: inputs[k] for k in ("input_ids", "attention_mask")}
    with torch.no_grad():
        hidden = model.encoder(**inputs, output_hidden_states=True).hidden_states[-1]
        rows = [hidden[i, inputs["attention_mask"][i].bool()].mean(0) for i in range(5)]  # a per-text loop
        expected = model.head(torch.stack(rows))
        out = model(**inputs, labels=torch.tensor([0, 1, 0, 1, 1]))
    assert torch.allclose(out.logits, expected, atol=1e-5)
    assert out.loss == pytest.approx(
        torch.nn.functional.cross_entropy(expected, torch.tensor([0, 1, 0, 1, 1])).item(), abs=1e-5
    )


def test_scratch_model_has_the_same_architecture_and_fresh_weights(tiny_bert):
    pretrained = finetuning.build_classifier(tiny_bert, pretrained=True, seed=0)
    scratch = finetuning.build_classifier(tiny_bert, pretrained=False, seed=0)
    again = finetuning.build_classifier(tiny_bert, pretrained=False, seed=0)
    shapes = lambda m: [(n, tuple(p.shape)) for n, p in m.named_parameters()]  # noqa: E731
    assert shapes(pretrained) == shapes(scratch)
    embedding = "encoder.embeddings.word_embeddings.weight"
    assert not torch.equal(
        dict(pretrained.named_parameters())[embedding], dict(scratch.named_parameters())[embedding]
    )
    assert all(torch.equal(p, q) for p, q in zip(scratch.parameters(), again.parameters()))
    assert torch.equal(pretrained.head.weight, scratch.head.weight)  # the head does not depend on the encoder


def test_layer_groups_and_discriminative_rates(tiny_bert):
    model = finetuning.build_classifier(tiny_bert, pretrained=True, seed=0)
    groups = finetuning.layer_groups(model)
    assert len(groups) == 2 + 2  # head, layer 1, layer 0, embeddings (+ pooler)
    assert sorted(id(p) for g in groups for p in g) == sorted(id(p) for p in model.parameters())
    assert groups[1][0] is next(model.encoder.encoder.layer[1].parameters())
    assert finetuning.discriminative_lrs(1.0, 3, factor=2.6) == pytest.approx([1.0, 1 / 2.6, 1 / 2.6**2])
    optimizer_groups = finetuning.param_groups(model, lr=1e-3, factor=2.6)
    by_param = {id(p): g["lr"] for g in optimizer_groups for p in g["params"]}
    for depth, params in enumerate(groups):  # a per-group loop
        assert all(by_param[id(p)] == pytest.approx(1e-3 / 2.6**depth) for p in params)
    finetuning.unfreeze_top(model, 2)
    assert [all(p.requires_grad for p in g) for g in groups] == [True, True, False, False]
    finetuning.unfreeze_top(model, 4)
    assert all(p.requires_grad for p in model.parameters())


def test_schedule_warms_up_then_decays_linearly():
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([parameter], lr=1.0)
    scheduler = finetuning.schedule(optimizer, total_steps=20, warmup=0.1)
    rates = []
    for _ in range(20):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    expected = [step / 2 if step < 2 else (20 - step) / 18 for step in range(20)]
    assert rates == pytest.approx(expected)


def test_flops_per_token_by_hand(tiny_bert):
    model = finetuning.build_classifier(tiny_bert, pretrained=True, seed=0)
    total = sum(p.numel() for p in model.parameters())
    embeddings = 30522 * 32 + 128 * 32 + 2 * 32  # words, positions, token types
    assert compute.parameter_counts(model)["non_embedding"] == total - embeddings
    assert compute.flops_per_token(model, 40) == 6 * (total - embeddings) + 12 * 2 * 40 * 32
    assert compute.matmul_flops_per_second(256, repeats=2) > 1e6


def test_fit_is_the_textbook_loop_and_train_learns(tiny_bert, tokenizer, texts_labels):
    from tlcourse.checks import core
    from tlcourse.checks import fine_tuning as check

    assert (
        check.fit(
            finetuning.fit,
        ).status
        == core.PASSED
    )
    texts, labels = texts_labels
    model = finetuning.build_classifier(tiny_bert, pretrained=True, seed=0)
    config = finetuning.FineTuneConfig(epochs=6, lr=3e-3, batch=16)
    record = finetuning.train(model, tokenizer, texts, labels, config, seed=0, progress=False)
    assert len(record["loss"]) == 6 * 5
    assert numpy.mean(record["loss"][-5:]) < numpy.mean(record["loss"][:5])
    assert record["real_tokens"] == 6 * sum(len(r) for r in finetuning.tokenize(tokenizer, texts))
    numbers = compute.throughput(record, matmul=1e9)
    assert 0 <= numbers["padding_share"] < 0.5 and numbers["tokens_per_s"] > 0
    padded = finetuning.train(
        finetuning.build_classifier(tiny_bert, pretrained=True, seed=0),
        tokenizer,
        texts,
        labels,
        dataclasses_replace(config, epochs=1, pad_to=64),
        seed=0,
        progress=False,
    )
    assert compute.throughput(padded, 1e9)["padding_share"] > numbers["padding_share"]


def dataclasses_replace(config, **changes):
    import dataclasses

    return dataclasses.replace(config, **changes)


def test_gradual_unfreezing_leaves_lower_layers_untouched_at_first(tiny_bert, tokenizer, texts_labels):
    texts, labels = texts_labels
    model = finetuning.build_classifier(tiny_bert, pretrained=True, seed=0)
    before = [p.detach().clone() for p in finetuning.layer_groups(model)[-1]]
    config = finetuning.FineTuneConfig(epochs=1, lr=1e-3, gradual_unfreezing=True, layer_factor=2.6)
    finetuning.train(model, tokenizer, texts, labels, config, seed=0, progress=False)
    assert all(
        torch.equal(a, b) for a, b in zip(before, finetuning.layer_groups(model)[-1])
    )  # embeddings frozen
    assert all(p.requires_grad for p in model.parameters())  # and thawed again afterwards


def test_frozen_embeddings_get_no_gradient_and_stay_put_in_both_loops(tiny_bert, tokenizer, texts_labels):
    import accelerate

    texts, labels = texts_labels
    config = finetuning.FineTuneConfig(epochs=1, lr=1e-3, freeze_embeddings=True)
    for run in ("plain", "accelerate"):
        model = finetuning.build_classifier(tiny_bert, pretrained=True, seed=0)
        groups = finetuning.layer_groups(model)
        before = [[p.detach().clone() for p in group] for group in (groups[-1], groups[1])]
        if run == "plain":
            finetuning.train(model, tokenizer, texts, labels, config, seed=0, progress=False)
        else:
            distributed.train_accelerate(
                model,
                tokenizer,
                texts,
                labels,
                config,
                seed=0,
                accelerator=accelerate.Accelerator(cpu=True),
                progress=False,
            )
        embeddings, top_layer = before
        assert all(torch.equal(a, b) and b.grad is None for a, b in zip(embeddings, groups[-1])), run
        assert not all(torch.equal(a, b) for a, b in zip(top_layer, groups[1])), (
            run
        )  # the layers above did train
        assert all(p.requires_grad for p in model.parameters()), run  # thawed again afterwards
    assert finetuning.trainable_groups(model, config) == len(groups) - 1


def test_accelerate_path_matches_the_plain_loop(tiny_bert, tokenizer, texts_labels):
    import accelerate

    texts, labels = texts_labels
    config = finetuning.FineTuneConfig(epochs=2, lr=1e-3, batch=16)
    plain = finetuning.build_classifier(tiny_bert, pretrained=True, seed=0, dropout=0.0)
    finetuning.train(plain, tokenizer, texts, labels, config, seed=0, progress=False)
    through = finetuning.build_classifier(tiny_bert, pretrained=True, seed=0, dropout=0.0)
    record = distributed.train_accelerate(
        through,
        tokenizer,
        texts,
        labels,
        config,
        seed=0,
        test_texts=texts[:10],
        test_labels=labels[:10],
        accelerator=accelerate.Accelerator(cpu=True),
        progress=False,
    )
    assert all(torch.allclose(p, q, atol=1e-5) for p, q in zip(plain.parameters(), through.parameters()))
    expected = numpy.mean(finetuning.predict(plain, tokenizer, texts[:10]) == numpy.asarray(labels[:10]))
    assert record["accuracy"] == pytest.approx(expected) and record["processes"] == 1


def test_sst2_loader_on_a_hub_layout_folder(tmp_path):
    import datasets

    texts, labels = corpora.read_polarity()
    (tmp_path / "data").mkdir()
    for split in ("train", "validation"):
        table = datasets.Dataset.from_dict(
            {"idx": list(range(len(texts))), "sentence": texts, "label": labels}
        )
        table.to_parquet(str(tmp_path / "data" / f"{split}-00000-of-00001.parquet"))
    loaded = finetuning.load_sst2(tmp_path, size=120)
    assert len(loaded) == 120 and loaded.column_names == ["text", "label", "folds"]
    assert loaded.features["label"].names == list(corpora.LABEL_NAMES)
    assert set(loaded["text"]) <= set(texts)
    assert finetuning._load_sentiment(tmp_path, "small").num_rows == len(texts)  # fewer than small's 1,000


def test_model_asset_reads_a_hub_layout_folder(tiny_bert):
    assert finetuning._load_model_folder(tiny_bert, "full") == tiny_bert
    model = finetuning.build_classifier(
        finetuning._load_model_folder(tiny_bert, "small"), pretrained=True, seed=0
    )
    assert model.config.hidden_size == 32


def _free_port() -> int:
    with socket.socket() as handle:
        handle.bind(("127.0.0.1", 0))
        return handle.getsockname()[1]


def test_accelerate_launch_with_two_cpu_processes(tiny_bert, texts_labels, tmp_path):
    import datasets

    texts, labels = texts_labels
    data = datasets.Dataset.from_dict({"text": texts, "label": labels})
    folds.with_folds(data).save_to_disk(str(tmp_path / "data"))
    out = tmp_path / "result.json"
    launcher = Path(sys.executable).parent / "accelerate"
    # `--cpu --num_processes 2` would need mpirun; `--multi_gpu` uses torchrun, and on a machine without a GPU
    # the script's Accelerator(cpu=True) then joins a gloo process group over loopback (MULTI_CPU).
    command = [
        str(launcher),
        "launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "--main_process_ip",
        "127.0.0.1",
        "--main_process_port",
        str(_free_port()),
        "-m",
        "tlcourse.distributed",
        "--model",
        str(tiny_bert),
        "--data",
        str(tmp_path / "data"),
        "--epochs",
        "1",
        "--batch",
        "8",
        "--lr",
        "1e-3",
        "--out",
        str(out),
    ]
    run = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=subprocess_env(TLCOURSE_PROFILE="tiny", OMP_NUM_THREADS="1", MASTER_ADDR="127.0.0.1"),
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["processes"] == 2 and result["ranks"] == [0, 1]
    assert 0.0 <= result["accuracy"] <= 1.0
    assert (
        result["steps"] == 5
    )  # 72 training sentences, batches of 8: 9 batches shared by 2 processes, 5 each
    assert result["real_tokens"] > 0 and numpy.isfinite(result["final_loss"])


def test_building_and_training_leave_torchs_global_generator_alone(tiny_bert, tokenizer, texts_labels):
    texts, labels = texts_labels
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    model = finetuning.build_classifier(tiny_bert, pretrained=False, seed=0)
    finetuning.train(
        model, tokenizer, texts[:16], labels[:16], finetuning.FineTuneConfig(epochs=1), seed=0, progress=False
    )
    assert torch.equal(torch.rand(3), expected)  # seeded inside, given back as it was
    again = finetuning.build_classifier(tiny_bert, pretrained=False, seed=0)
    finetuning.train(
        again, tokenizer, texts[:16], labels[:16], finetuning.FineTuneConfig(epochs=1), seed=0, progress=False
    )
    assert all(
        torch.equal(p, q) for p, q in zip(model.parameters(), again.parameters())
    )  # and still reproducible
