"""tlcourse.domain_data: lesson 06's hub data sets, read from local folders laid out as the hub lays them
out."""

from __future__ import annotations

import datasets
import numpy
from test_assets import offline_hub  # noqa: F401  (the fixture: an offline hub cache)

from tlcourse import assets, domain_data


def test_tweets_drop_neutral_and_map_positive(tmp_path):
    (tmp_path / "sentiment").mkdir()
    rows = {
        "text": [f"tweet {i}" for i in range(30)],
        "label": [i % 3 for i in range(30)],
    }  # 0 neg, 1 neu, 2 pos
    datasets.Dataset.from_dict(rows).to_parquet(str(tmp_path / "sentiment" / "train-00000-of-00001.parquet"))
    tweets = domain_data.read_tweets(tmp_path)
    assert len(tweets) == 20 and tweets.features["label"].names == ["negative", "positive"]
    assert tweets["text"][:2] == ["tweet 0", "tweet 2"] and tweets["label"][:2] == [0, 1]
    assert numpy.asarray(tweets["folds"]).shape == (20, 5)


def test_amazon_joins_title_and_body_and_subsamples(tmp_path):
    (tmp_path / "amazon_polarity").mkdir()
    rows = {
        "label": [0, 1] * 15,
        "title": [f"title {i}" for i in range(30)],
        "content": [f"body {i}" for i in range(30)],
    }
    datasets.Dataset.from_dict(rows).to_parquet(
        str(tmp_path / "amazon_polarity" / "test-00000-of-00001.parquet")
    )
    amazon = domain_data.read_amazon(tmp_path, rows=24)
    assert len(amazon) == 24 and all(
        text.startswith("title ") and ". body " in text for text in amazon["text"]
    )
    number = int(amazon["text"][0].split(".")[0].split()[1])
    assert amazon["label"][0] == number % 2  # labels stay with their reviews
    assert amazon["text"] == domain_data.read_amazon(tmp_path, rows=24)["text"]  # a fixed draw


def test_a_missing_download_says_what_to_do(tmp_path):
    import pytest

    with pytest.raises(FileNotFoundError, match="tlcourse prepare"):
        domain_data.read_tweets(tmp_path)


def test_registry_names_hub_sets_by_org_prefixed_id_and_none_in_tiny():
    for name, repo in (
        ("tweet_sentiment", "cardiffnlp/tweet_eval"),
        ("amazon_polarity", "fancyzhx/amazon_polarity"),
    ):
        for profile in ("small", "full"):
            spec = assets.variant(name, profile)
            assert spec.repo_id == repo and spec.repo_type == "dataset" and spec.revision is None
        assert isinstance(assets.variant(name, "tiny"), assets.Built)
    assert "tweet_sentiment" in assets.LESSONS["06_domain_adaptation"]


def test_small_domains_load_from_hub_layouts(offline_hub):  # noqa: F811  (the fixture imported above)
    from test_assets import _fake_snapshot

    def tweets(target):
        rows = {"text": [f"tweet {i}" for i in range(45)], "label": [i % 3 for i in range(45)]}
        datasets.Dataset.from_dict(rows).to_parquet(str(target))

    def reviews(target):
        rows = {"label": [1, 0] * 20, "title": ["t"] * 40, "content": [f"review {i}" for i in range(40)]}
        datasets.Dataset.from_dict(rows).to_parquet(str(target))

    revision = "0" * 40  # none is pinned; any commit name stands in for the one downloaded
    _fake_snapshot(
        offline_hub,
        "dataset",
        "cardiffnlp/tweet_eval",
        revision,
        {f"sentiment/{split}-00000-of-00001.parquet": tweets for split in ("train", "test")},
    )
    _fake_snapshot(
        offline_hub,
        "dataset",
        "fancyzhx/amazon_polarity",
        revision,
        {"amazon_polarity/test-00000-of-00001.parquet": reviews},
    )
    assert len(assets.load("tweet_sentiment", "small")) == 30
    amazon = assets.load("amazon_polarity", "small")
    assert len(amazon) == 40 and set(amazon.column_names) == {"text", "label", "folds"}
    assert assets.load("tweet_sentiment", "tiny") is None  # tiny reads VADER's tweets instead
