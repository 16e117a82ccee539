"""Lesson 08's multilingual section: its hub assets loaded from local hub-layout folders, the tweets' reader,
and the zero-shot evaluation on synthetic vectors whose right answers are known."""

from __future__ import annotations

import re
from pathlib import Path

import numpy
import pytest
from test_assets import offline_hub  # noqa: F401  (the fixture: an offline hub cache)

from tlcourse import assets, multilingual, sentences

COMMIT = "0123456789abcdef0123456789abcdef01234567"  # any commit name stands in for the one downloaded
TEXTS = [
    "the film was great",
    "le film était génial",
    "der Film war toll",
    "الفيلم كان رائعا",
    "फिल्म अच्छी थी",
]


def _snapshot(hub: Path, spec: assets.Hub, write) -> Path:
    """A snapshot as huggingface_hub's cache holds it, with the ref the spec's revision names (or main)."""
    kind = {"model": "models", "dataset": "datasets"}[spec.repo_type]
    repo = hub / f"{kind}--{spec.repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / COMMIT
    snapshot.mkdir(parents=True)
    ref = repo / "refs" / (spec.revision or "main")  # refs/refs/convert/parquet for the converter's branch
    ref.parent.mkdir(parents=True)
    ref.write_text(COMMIT)
    write(snapshot)
    return snapshot


def _xlmr_tokenizer(folder: Path) -> None:
    """A small sentencepiece-style tokenizer (Unigram, Metaspace) with XLM-R's special tokens, offline."""
    import tokenizers
    import transformers
    from tokenizers import decoders, models, pre_tokenizers, trainers

    tokenizer = tokenizers.Tokenizer(models.Unigram())
    tokenizer.pre_tokenizer, tokenizer.decoder = pre_tokenizers.Metaspace(), decoders.Metaspace()
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    trainer = trainers.UnigramTrainer(vocab_size=150, special_tokens=specials, unk_token="<unk>")
    tokenizer.train_from_iterator(TEXTS * 20, trainer)
    transformers.XLMRobertaTokenizerFast(
        tokenizer_object=tokenizer,
        **dict(bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>"),
        **dict(cls_token="<s>", sep_token="</s>", mask_token="<mask>"),
    ).save_pretrained(folder)


def _random_encoder(profile: str):
    """The profile's architecture, tiny and random: BERT layers with XLM-R's vocabulary kind in small (as
    paraphrase-multilingual-MiniLM-L12-v2 is), XLM-R in full."""
    import torch
    import transformers

    def write(folder: Path) -> None:
        _xlmr_tokenizer(folder)
        size = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
        vocab = transformers.AutoTokenizer.from_pretrained(str(folder))
        torch.manual_seed(0)
        if profile == "small":
            model = transformers.BertModel(
                transformers.BertConfig(vocab_size=len(vocab), pad_token_id=1, **size)
            )
        else:
            config = transformers.XLMRobertaConfig(vocab_size=len(vocab), pad_token_id=1, **size)
            model = transformers.XLMRobertaModel(config)
        model.save_pretrained(folder)

    return write


def _tweets(languages=multilingual.LANGUAGES, rows: int = 12, labels=None):
    import datasets

    def write(folder: Path) -> None:
        for language in languages:
            for split in multilingual.SPLITS:
                (folder / language / split).mkdir(parents=True)
                data = {
                    "text": [f"{language} {split} tweet {i}" for i in range(rows)],
                    "label": list(labels) if labels is not None else [i % 3 for i in range(rows)],
                }
                datasets.Dataset.from_dict(data).to_parquet(str(folder / language / split / "0000.parquet"))

    return write


def test_registry_names_both_hub_repos_and_placeholders_in_tiny():
    ids = {
        "small": "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2",
        "full": "FacebookAI/xlm-roberta-base",
    }
    for profile, repo_id in ids.items():
        spec = assets.variant("multilingual_encoder", profile)
        assert spec.repo_id == repo_id and spec.repo_type == "model" and spec.revision is None
        tweets = assets.variant("multilingual_tweets", profile)
        assert tweets.repo_id == multilingual.TWEETS_ID and tweets.revision == "refs/convert/parquet"
        assert all(not p.startswith("all/") for p in tweets.allow_patterns)  # each language once, not "all"
    for name in ("multilingual_encoder", "multilingual_tweets"):
        assert isinstance(assets.variant(name, "tiny"), assets.Built)
        assert name in assets.LESSONS["08_cross_lingual_transfer"]


def test_tiny_has_placeholders_that_say_so(fresh_cache):
    assert assets.load("multilingual_encoder", "tiny") is None
    assert assets.load("multilingual_tweets", "tiny") is None
    note = (assets.path("multilingual_tweets", "tiny") / "README.txt").read_text(encoding="utf-8")
    assert "does not use" in note and "small" in note
    with pytest.raises(ValueError, match="small or full"):
        multilingual.load_tweets("tiny")


@pytest.mark.parametrize("profile", ["small", "full"])
def test_encoder_loads_from_a_hub_layout_and_encodes_every_script(offline_hub, profile):  # noqa: F811
    spec = assets.variant("multilingual_encoder", profile)
    snapshot = _snapshot(offline_hub, spec, _random_encoder(profile))
    assert {"config.json", "tokenizer.json", "model.safetensors"} <= {p.name for p in snapshot.iterdir()}
    assert assets.is_cached("multilingual_encoder", profile)
    tokenizer, model = assets.load("multilingual_encoder", profile)
    assert model.config.model_type == {"small": "bert", "full": "xlm-roberta"}[profile] and not model.training
    assert tokenizer.unk_token_id not in tokenizer("فيلم")["input_ids"]  # Arabic pieces are in the vocabulary
    vectors = sentences.encode(tokenizer, model, TEXTS, max_length=32)
    assert vectors.shape == (len(TEXTS), 32) and numpy.isfinite(vectors).all()


@pytest.mark.parametrize("profile", ["small", "full"])
def test_tweets_load_from_the_parquet_branch_layout(offline_hub, profile):  # noqa: F811
    _snapshot(offline_hub, assets.variant("multilingual_tweets", profile), _tweets())
    tweets = multilingual.load_tweets(profile)
    assert tuple(tweets) == multilingual.LANGUAGES
    test = tweets["hindi"]["test"]
    assert len(test) == 12 and test.features["label"].names == ["negative", "neutral", "positive"]
    assert test["label"][:3] == [0, 1, 2] and test["text"][0] == "hindi test tweet 0"  # labels stay with text


def test_reader_maps_labels_and_rejects_others(tmp_path):
    _tweets(("english",), rows=3, labels=[2, 0, 1])(tmp_path)
    english = multilingual.read_tweets(tmp_path, ("english",))["english"]["train"]
    assert [english.features["label"].int2str(x) for x in english["label"]] == [
        "positive",
        "negative",
        "neutral",
    ]
    bad = tmp_path / "bad"
    _tweets(("english",), rows=3, labels=[0, 3, 1])(bad)
    with pytest.raises(ValueError, match="expected 0, 1, 2"):
        multilingual.read_tweets(bad, ("english",))


def test_missing_files_name_the_prepare_command(tmp_path, offline_hub):  # noqa: F811
    with pytest.raises(FileNotFoundError, match=re.escape("python -m tlcourse prepare")):
        multilingual.read_tweets(tmp_path)
    with pytest.raises(assets.AssetMissing, match=re.escape("python -m tlcourse prepare --profile small")):
        assets.path("multilingual_tweets", "small")
    with pytest.raises(assets.AssetMissing, match=re.escape("python -m tlcourse prepare --profile full")):
        assets.path("multilingual_encoder", "full")


def _synthetic(seed: int, n: int = 300, flipped: float = 0.0):
    """Three well-separated clusters (one per label); a share ``flipped`` of labels moved to the next class,
    so a classifier that learned the clusters gets exactly ``1 - flipped`` right."""
    rng = numpy.random.default_rng(seed)
    labels = numpy.arange(n) % 3
    centres = numpy.eye(3, 8) * 10
    vectors = centres[labels] + rng.normal(0, 0.5, (n, 8))
    shown = labels.copy()
    moved = rng.choice(n, round(flipped * n), replace=False)
    shown[moved] = (shown[moved] + 1) % 3
    return vectors, shown


def test_zero_shot_numbers_on_vectors_with_known_answers():
    from sklearn.metrics import accuracy_score

    classifier = multilingual.fit(*_synthetic(0), seed=0)
    test = {
        "english": _synthetic(1),
        "french": _synthetic(2, flipped=0.2),
        "arabic": _synthetic(3, flipped=0.5),
    }
    hits = multilingual.correct(classifier.predict, test)
    found = multilingual.accuracies(hits)
    for language, (vectors, labels) in test.items():  # against scikit-learn's accuracy
        assert found[language].mean == pytest.approx(accuracy_score(labels, classifier.predict(vectors)))
        assert (
            found[language].low <= found[language].mean <= found[language].high + 1e-12  # float rounding
            and found[language].n == 300
        )
    assert found["english"].mean == 1.0 and found["french"].mean == pytest.approx(0.8)
    assert found["arabic"].mean == pytest.approx(0.5)
    gap = multilingual.gaps(hits, seed=0)
    assert set(gap) == {"french", "arabic"}  # English is the reference, not compared with itself
    assert gap["french"].mean == pytest.approx(-0.2) and gap["arabic"].mean == pytest.approx(-0.5)
    assert gap["french"].low < -0.2 < gap["french"].high and gap["arabic"].high < gap["french"].low
    assert multilingual.gaps(hits, seed=0) == gap  # the seed fixes the resamples
    with pytest.raises(KeyError, match="english"):
        multilingual.gaps({"french": hits["french"]}, seed=0)


def test_paired_differences_hold_the_tweets_fixed():
    rng = numpy.random.default_rng(0)
    better = {"hindi": rng.random(400) < 0.7}
    worse = {"hindi": better["hindi"] & (rng.random(400) < 0.8)}  # the same tweets, some lost
    found = multilingual.paired_differences(better, worse, seed=0)["hindi"]
    assert found.mean == pytest.approx(better["hindi"].mean() - worse["hindi"].mean())
    assert 0 < found.low <= found.mean <= found.high  # never worse on any tweet: the interval stays above 0
    same = multilingual.paired_differences(better, better, seed=0)["hindi"]
    assert same.mean == same.low == same.high == 0.0
