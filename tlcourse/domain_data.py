"""Lesson 06's four sentiment domains in each profile: VADER's rated snippets offline, hub data sets online.

``tiny`` takes all four from :mod:`tlcourse.sentiment_domains` (the ``vaderSentiment`` sdist). ``small`` and
``full`` take movies from ``cornell-movie-review-data/rotten_tomatoes`` (lesson 00's ``movie_reviews``),
tweets from ``cardiffnlp/tweet_eval`` (its ``sentiment`` set, neutral dropped) and Amazon from a fixed
subsample of ``fancyzhx/amazon_polarity``'s test split; NYT editorials have no hub copy, so VADER's stay.
Every domain is a ``datasets.Dataset`` with ``text``, ``label`` (``ClassLabel(["negative", "positive"])``)
and the course's fixed ``folds``.

>>> from tlcourse import domain_data
>>> domains = domain_data.load(profile="tiny")   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from tlcourse import assets, corpora, folds, sentiment_domains

#: Rows of amazon_polarity's 400,000-row test split kept (drawn with the fold seed): plenty for a subsample.
AMAZON_ROWS = 20_000


_NONE_OFFLINE = assets.placeholder(
    "The tiny profile reads lesson 06's domains from the vaderSentiment sdist; this hub data set is "
    "used\n"
    "only in the small and full profiles.\n"
)


def _binary(texts: list[str], labels: list[int]):
    """A ``datasets.Dataset`` (text, label, folds) with the course's label names and fixed folds."""
    import datasets

    features = datasets.Features(
        {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=list(corpora.LABEL_NAMES))}
    )
    return folds.with_folds(datasets.Dataset.from_dict({"text": texts, "label": labels}, features=features))


def read_tweets(folder: Path):
    """``tweet_eval``'s sentiment training set, neutral (1) dropped, positive (2) as 1."""
    data = assets.read_parquet(folder, "sentiment/train-*.parquet")
    kept = [(text, int(label == 2)) for text, label in zip(data["text"], data["label"]) if label != 1]
    return _binary([text for text, _ in kept], [label for _, label in kept])


def read_amazon(folder: Path, *, rows: int = AMAZON_ROWS):
    """``rows`` reviews of ``amazon_polarity``'s test split (title and body), drawn with the fold seed."""
    data = assets.read_parquet(folder, "amazon_polarity/test-*.parquet")
    if len(data) > rows:
        data = data.shuffle(seed=folds.FOLD_SEED).select(range(rows))
    texts = [
        f"{title}. {content}" if title else content for title, content in zip(data["title"], data["content"])
    ]
    return _binary(texts, [int(label) for label in data["label"]])


def _loader(read):
    def load(folder: Path, profile: str):
        return None if profile == "tiny" else read(Path(folder))

    return load


def load(*, profile: str) -> dict:
    """``{"tweets", "amazon", "movies", "nyt"}`` -> ``datasets.Dataset`` of the profile (see the module)."""
    if profile == "tiny":
        return {name: sentiment_domains.load(name, profile=profile) for name in sentiment_domains.DOMAINS}
    return {
        "tweets": assets.load("tweet_sentiment", profile),
        "amazon": assets.load("amazon_polarity", profile),
        "movies": assets.load("movie_reviews", profile).select_columns(["text", "label", "folds"]),
        "nyt": sentiment_domains.load("nyt", profile=profile).select_columns(["text", "label", "folds"]),
    }


_OFFLINE = assets.Built(
    _NONE_OFFLINE, "1", "none in tiny: lesson 06 uses VADER's tweets and Amazon snippets", "-"
)
_TWEETS = assets.Hub(
    "cardiffnlp/tweet_eval",
    "dataset",
    None,
    "TweetEval (Barbieri et al. 2020), the SemEval-2017 sentiment set",
    "see its dataset card",
    ("sentiment/*.parquet",),
)
_AMAZON = assets.Hub(
    "fancyzhx/amazon_polarity",
    "dataset",
    None,
    "Amazon review polarity (Zhang, Zhao & LeCun 2015), the test split",
    "see its dataset card",
    ("amazon_polarity/test-*.parquet",),
)
ASSETS = (
    assets.Asset(
        "tweet_sentiment",
        "tweets labelled negative/neutral/positive (small/full only; neutral dropped)",
        {"tiny": _OFFLINE, "small": _TWEETS, "full": _TWEETS},
        _loader(read_tweets),
    ),
    assets.Asset(
        "amazon_polarity",
        "Amazon reviews labelled negative/positive (small/full only; a subsample)",
        {"tiny": _OFFLINE, "small": _AMAZON, "full": _AMAZON},
        _loader(read_amazon),
    ),
)
