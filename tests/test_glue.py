"""tlcourse.glue: GLUE's pair tasks read from local folders laid out as the hub lays ``nyu-mll/glue`` out,
and the pair multi-task training on a random tiny BERT."""

from __future__ import annotations

import dataclasses

import datasets
import numpy
import pytest
import torch
from test_assets import offline_hub  # noqa: F401  (the fixture: an offline hub cache)

from tlcourse import assets, glue, multitask

SPLITS = {"rte": "validation", "mrpc": "validation", "stsb": "validation", "mnli": "validation_matched"}


def _rows(config: str, n: int, *, start: int = 0) -> dict:
    """``n`` rows in the hub's columns for ``config`` (mnli: premise/hypothesis; stsb: float labels)."""
    first = [f"first sentence {start + i}" for i in range(n)]
    second = [f"second sentence {start + i} is {'alike' if i % 2 else 'other'}" for i in range(n)]
    if config == "stsb":
        labels = [round(5.0 * i / max(n - 1, 1), 2) for i in range(n)]
    else:
        labels = [(start + i) % glue.CLASSES[config] for i in range(n)]
    columns = ("premise", "hypothesis") if config == "mnli" else ("sentence1", "sentence2")
    return {columns[0]: first, columns[1]: second, "label": labels, "idx": list(range(start, start + n))}


def _write(folder, config: str, split: str, rows: dict, shard: str = "00000-of-00001") -> None:
    (folder / config).mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_dict(rows).to_parquet(str(folder / config / f"{split}-{shard}.parquet"))


def _hub_files(config: str, n_train: int = 40, n_validation: int = 12) -> dict:
    """``{path in the repository: writer}`` as the hub lays one config out, an unlabelled test split too."""

    def writer(split, n, start=0, labels=True):
        def write(target):
            rows = _rows(config, n, start=start)
            if not labels:
                rows["label"] = [-1] * n
            datasets.Dataset.from_dict(rows).to_parquet(str(target))

        return write

    test = "test_matched" if config == "mnli" else "test"
    return {
        f"{config}/train-00000-of-00001.parquet": writer("train", n_train),
        f"{config}/{SPLITS[config]}-00000-of-00001.parquet": writer("validation", n_validation, 1000),
        f"{config}/{test}-00000-of-00001.parquet": writer("test", n_validation, 2000, labels=False),
    }


@pytest.mark.parametrize("config", ["rte", "mrpc", "stsb", "mnli"])
def test_readers_give_pairs_with_the_hub_columns_mapped(tmp_path, config):
    _write(tmp_path, config, "train", _rows(config, 30))
    _write(tmp_path, config, SPLITS[config], _rows(config, 10, start=500))
    data = glue.read(tmp_path, config)
    for split, n in (("train", 30), ("validation", 10)):
        assert data[split].column_names == ["sentence1", "sentence2", "label"] and len(data[split]) == n
    assert data["train"]["sentence1"][3] == "first sentence 3"  # mnli's premise is sentence1
    assert data["validation"]["sentence2"][0].startswith("second sentence 500")  # not the test split
    labels = list(data["train"]["label"])
    if config == "stsb":
        assert data["train"].features["label"].dtype == "float32" and labels[-1] == pytest.approx(5.0)
        assert len(set(labels)) == 30  # fractional scores kept, not cut to integers
    else:
        assert set(labels) == set(range(glue.CLASSES[config]))


def test_sharded_mnli_train_is_read_whole_and_subsampled_fixed(tmp_path):
    _write(tmp_path, "mnli", "train", _rows("mnli", 50), shard="00000-of-00002")
    _write(tmp_path, "mnli", "train", _rows("mnli", 50, start=50), shard="00001-of-00002")
    _write(tmp_path, "mnli", "validation_matched", _rows("mnli", 9))
    assert len(glue.read(tmp_path, "mnli")["train"]) == 100
    first = glue.read(tmp_path, "mnli", rows=20)["train"]
    again = glue.read(tmp_path, "mnli", rows=20)["train"]
    texts = list(first["sentence1"])
    assert len(first) == 20 and texts == list(again["sentence1"])  # a fixed draw
    assert texts != [f"first sentence {i}" for i in range(20)]  # drawn, not the first rows
    numbers = [int(text.split()[-1]) for text in texts]
    assert list(first["label"]) == [n % 3 for n in numbers]  # labels stay with their pairs
    assert any(n >= 50 for n in numbers)  # both shards contribute


def test_missing_files_say_to_run_prepare(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m tlcourse prepare"):
        glue.read(tmp_path, "rte")
    _write(tmp_path, "rte", "train", _rows("rte", 5))
    with pytest.raises(FileNotFoundError, match="rte/validation"):
        glue.read(tmp_path, "rte")
    with pytest.raises(ValueError, match="choose one of"):
        glue.read(tmp_path, "cola")


def test_registry_names_nyu_mll_glue_in_small_and_full_and_nothing_in_tiny():
    for profile in ("small", "full"):
        spec = assets.variant("glue", profile)
        assert (spec.repo_id, spec.repo_type, spec.revision) == ("nyu-mll/glue", "dataset", None)
        for config in ("rte", "mrpc", "stsb", "mnli"):
            assert f"{config}/train-*.parquet" in spec.allow_patterns
        assert "mnli/validation_matched-*.parquet" in spec.allow_patterns
        assert not any("test" in pattern for pattern in spec.allow_patterns)  # unlabelled: never fetched
    assert isinstance(assets.variant("glue", "tiny"), assets.Built)
    assert "glue" in assets.LESSONS["07_multi_task_learning"]
    with pytest.raises(ValueError, match="small and full"):
        glue.load(profile="tiny")


@pytest.mark.parametrize("profile", ["small", "full"])
def test_every_config_loads_from_a_hub_layout(offline_hub, profile, monkeypatch):  # noqa: F811  (fixture)
    from test_assets import _fake_snapshot

    files = {}
    for config in ("rte", "mrpc", "stsb", "mnli"):
        files.update(_hub_files(config, n_train=60 if config == "mnli" else 40))
    _fake_snapshot(offline_hub, "dataset", "nyu-mll/glue", "0" * 40, files)  # none is pinned: any commit
    monkeypatch.setitem(glue.MNLI_ROWS, profile, 50)  # the profile's cap, at this size
    data = glue.load(profile=profile)
    assert list(data) == ["rte", "mrpc", "stsb", "mnli"]
    for config in ("rte", "mrpc", "stsb"):
        assert len(data[config]["train"]) == 40 and len(data[config]["validation"]) == 12
        assert min(data[config]["validation"]["label"]) >= 0  # the validation split, not the unlabelled test
    assert data["stsb"]["train"].features["label"].dtype == "float32"
    mnli = data["mnli"]
    assert len(mnli["train"]) == 50 and mnli["train"].column_names == ["sentence1", "sentence2", "label"]
    assert len(mnli["validation"]) == 12
    assert assets.load("glue", "tiny") is None


def test_pair_ids_mark_the_second_text_with_token_type_one(tmp_path):
    from conftest import random_bert

    tokenizer, _ = assets._load_encoder(random_bert(tmp_path, seed=0, **TINY), "tiny")
    x = glue.pair_ids(tokenizer, ["a cat"], ["a dog sat"], max_length=12)
    ids, types = x[0, 0], x[0, 1]
    assert x.shape == (1, 2, 12)
    assert tokenizer.convert_ids_to_tokens(ids[:8].tolist()) == [
        "[CLS]", "a", "cat", "[SEP]", "a", "dog", "sat", "[SEP]",
    ]  # fmt: skip
    assert types[:8].tolist() == [0, 0, 0, 0, 1, 1, 1, 1] and ids[8:].eq(tokenizer.pad_token_id).all()


def test_score_matches_scipy_and_sklearn():
    from scipy import stats
    from sklearn.metrics import accuracy_score, f1_score

    rng = numpy.random.default_rng(0)
    truth, guess = rng.uniform(0, 5, 50), rng.uniform(0, 5, 50)
    sts = glue.score("stsb", guess, truth)
    assert sts["pearson"] == pytest.approx(stats.pearsonr(guess, truth)[0])
    assert sts["spearman"] == pytest.approx(stats.spearmanr(guess, truth)[0])
    y, p = rng.integers(0, 2, 50), rng.integers(0, 2, 50)
    assert glue.score("mrpc", p, y) == pytest.approx({"accuracy": accuracy_score(y, p), "f1": f1_score(y, p)})


TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)


def test_pair_multi_task_training_end_to_end_on_a_random_bert(tmp_path):
    """Three targets and MNLI on one small encoder: losses fall, STS-B is regressed, heads stay apart."""
    from conftest import random_bert

    tokenizer, encoder = assets._load_encoder(random_bert(tmp_path, seed=0, **TINY), "tiny")
    rng = numpy.random.default_rng(0)

    def synthetic(config, n):  # the label can be read off the second text: a learnable toy
        label = rng.integers(0, glue.CLASSES[config], n) if config != "stsb" else rng.uniform(0, 5, n)
        bucket = numpy.minimum(label * 3 // 5, 2) if config == "stsb" else label  # stsb: low/mid/high
        second = [f"the answer is {['zero', 'one', 'two'][int(b)]}" for b in bucket]
        rows = {"sentence1": [f"question {i}" for i in range(n)], "sentence2": second, "label": label}
        return glue.as_task(tokenizer, datasets.Dataset.from_dict(rows), max_length=16)

    train = {config: synthetic(config, 64) for config in ("rte", "mrpc", "stsb", "mnli")}
    validation = {config: synthetic(config, 32) for config in glue.TARGETS}
    assert train["stsb"][1].dtype == torch.float32 and train["rte"][1].dtype == torch.long
    config = dataclasses.replace(multitask.Config(), steps=160, batch_size=16, lr=1e-3)
    model = glue.make_model(encoder, list(train), pad_id=tokenizer.pad_token_id, seed=0)
    assert model.heads["stsb"].out_features == 1 and model.heads["mnli"].out_features == 3
    step = glue.with_regression(multitask.train_step)
    history = multitask.train(model, train, {c: 0.25 for c in train}, config, seed=0, step=step)
    losses = multitask.per_task_history(history)
    for config_name in train:
        steps, values = losses[config_name]
        assert len(steps) > 5 and values[-3:].mean() < values[:3].mean()  # every task's loss falls
    embeddings = model.encoder.embeddings.word_embeddings.weight
    assert not torch.equal(embeddings, encoder.embeddings.word_embeddings.weight)  # the whole encoder trains
    scores = glue.run(
        encoder, train, validation, config, pad_id=tokenizer.pad_token_id, seed=0, step=step, temperature=1.0
    )
    assert set(scores) == set(glue.TARGETS) and set(scores["stsb"]) == {"pearson", "spearman"}
    assert scores["stsb"]["pearson"] > 0.7 and scores["rte"]["accuracy"] > 0.8  # learnt, not chance
    again = glue.run(
        encoder, train, validation, config, pad_id=tokenizer.pad_token_id, seed=0, step=step, temperature=1.0
    )
    assert again == scores  # seeded: the same numbers twice


def test_a_classification_step_never_sees_the_regression_task():
    seen = []

    def classify(model, optimizer, task, x, y, *, weight=1.0):
        seen.append(task)
        return 0.0

    weight = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([weight], lr=0.1)
    step = glue.with_regression(classify)
    step(None, optimizer, "rte", torch.zeros(2, 1), torch.zeros(2), weight=1.0)
    loss = step(lambda x, task: x * 0 + weight, optimizer, "stsb", torch.zeros(4, 1), torch.full((4,), 2.0))
    assert (
        seen == ["rte"] and loss == pytest.approx(4.0) and float(weight.detach()) > 0
    )  # MSE, a step towards 2
