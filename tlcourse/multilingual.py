"""Zero-shot cross-lingual transfer with a multilingual encoder: train on English tweets, test on others.

Lesson 08 (``small``/``full`` only) mean-pools a multilingual encoder's last layer
(:func:`tlcourse.sentences.encode`), fits a classifier on English tweets of Barbieri et al.'s (2022, XLM-T)
``cardiffnlp/tweet_sentiment_multilingual`` and tests it on every language: :func:`correct` marks each test
tweet right or wrong, :func:`accuracies` gives each language's accuracy with Wilson's interval, and
:func:`gaps` each language's difference to English with a bootstrap interval (the test sets are different
tweets, so they are resampled independently). ``tiny`` has neither the encoder nor the tweets offline:
both assets are placeholders there.

>>> from tlcourse import multilingual
>>> tweets = multilingual.load_tweets("small")             # doctest: +SKIP
>>> tweets["french"]["test"].features["label"].names        # doctest: +SKIP
['negative', 'neutral', 'positive']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy

from tlcourse import assets, stats

#: The data set's eight languages (its configuration names), English first: the source language.
LANGUAGES = ("english", "arabic", "french", "german", "hindi", "italian", "portuguese", "spanish")
SPLITS = ("train", "validation", "test")
#: The data set's labels, in its order (0 negative, 1 neutral, 2 positive).
LABEL_NAMES = ("negative", "neutral", "positive")
#: The hub id of the tweets; their parquet copy lives on the ``refs/convert/parquet`` branch.
TWEETS_ID = "cardiffnlp/tweet_sentiment_multilingual"
#: The branch the hub's converter writes ``<language>/<split>/0000.parquet`` to: the repository's main
#: branch holds a loading script, which ``datasets`` 4 and later no longer run.
TWEETS_REVISION = "refs/convert/parquet"


def _placeholder(what: str) -> Callable[[Path], None]:
    return assets.placeholder(
        f"The tiny profile does not use {what}: lesson 08's multilingual section runs only in the small\n"
        "and full profiles, which download it from the hub.\n"
    )


def read_tweets(folder: Path, languages: tuple[str, ...] = LANGUAGES) -> dict[str, dict]:
    """``{language: {split: Dataset(text, label)}}`` from the parquet branch's ``<language>/<split>/`` files.

    Labels become ``ClassLabel(["negative", "neutral", "positive"])`` (the data set's own 0/1/2); any other
    value is an error, as is a missing file (the message names ``python -m tlcourse prepare``).
    """
    import datasets

    features = datasets.Features(
        {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=list(LABEL_NAMES))}
    )
    out: dict[str, dict] = {}
    for language in languages:
        out[language] = {}
        for split in SPLITS:
            data = assets.read_parquet(folder, f"{language}/{split}/*.parquet")
            labels = [int(label) for label in data["label"]]
            unknown = sorted(set(labels) - set(range(len(LABEL_NAMES))))
            if unknown:
                raise ValueError(
                    f"{language}/{split} has labels {unknown}; expected 0, 1, 2 ({LABEL_NAMES})."
                )
            out[language][split] = datasets.Dataset.from_dict(
                {"text": list(data["text"]), "label": labels}, features=features
            )
    return out


def _load_tweets(folder: Path, profile: str):
    return None if profile == "tiny" else read_tweets(Path(folder))


def _load_encoder(folder: Path, profile: str):
    """``(tokenizer, model)`` in eval mode, or ``None`` in ``tiny`` (a placeholder there)."""
    return None if profile == "tiny" else assets._load_encoder(Path(folder), profile)


def load_tweets(profile: str) -> dict[str, dict]:
    """The tweets of ``profile`` (see :func:`read_tweets`); ``tiny`` has none: an error saying so."""
    if profile == "tiny":
        raise ValueError("The tiny profile has no multilingual tweets: use small or full.")
    return assets.load("multilingual_tweets", profile)


# --- The zero-shot evaluation -----------------------------------------------------------------------


def fit(vectors: numpy.ndarray, labels, *, seed: int):
    """Lesson 02's frozen-feature classifier on ``(n, D)`` vectors: unit rows, then logistic regression.

    Three classes, so one multinomial model (lbfgs; liblinear fits two classes only); ``C=1`` as lesson 02,
    nothing tuned.
    """
    from sklearn import linear_model, pipeline, preprocessing

    classifier = linear_model.LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    return pipeline.make_pipeline(preprocessing.Normalizer(), classifier).fit(vectors, numpy.asarray(labels))


def correct(predict: Callable, test: Mapping[str, tuple[numpy.ndarray, object]]) -> dict[str, numpy.ndarray]:
    """``{language: (n,) bool}``: whether ``predict(vectors)`` gets each test tweet's label right."""
    return {
        language: numpy.asarray(predict(vectors)) == numpy.asarray(labels)
        for language, (vectors, labels) in test.items()
    }


def accuracies(hits: Mapping[str, numpy.ndarray]) -> dict[str, stats.Estimate]:
    """Each language's accuracy with Wilson's 95% interval (one test set, independent tweets)."""
    return {language: stats.wilson_interval(int(h.sum()), int(h.size)) for language, h in hits.items()}


def gaps(
    hits: Mapping[str, numpy.ndarray], *, reference: str = "english", seed: int, resamples: int = 2000
) -> dict[str, stats.Estimate]:
    """Each other language's accuracy minus ``reference``'s, with a bootstrap percentile interval.

    The languages' test sets are different tweets, not translations, so each is resampled on its own
    (Efron & Tibshirani 1993); the point is the observed difference.
    """
    if reference not in hits:
        raise KeyError(f"No {reference!r} among {sorted(hits)}: the gap is measured against it.")
    rng = numpy.random.default_rng(seed)

    def boot(h: numpy.ndarray) -> numpy.ndarray:
        return h[rng.integers(0, h.size, size=(resamples, h.size))].mean(axis=1)

    base, base_boot = hits[reference].mean(), boot(hits[reference])
    return {
        language: stats.percentile_interval(boot(h) - base_boot, point=float(h.mean() - base))
        for language, h in hits.items()
        if language != reference
    }


def paired_differences(
    a: Mapping[str, numpy.ndarray], b: Mapping[str, numpy.ndarray], *, seed: int, resamples: int = 2000
) -> dict[str, stats.Estimate]:
    """Accuracy of ``a`` minus ``b`` on the same test tweets, per language, with a paired bootstrap interval.

    Two classifiers (two encoders, or zero-shot against in-language) read the same tweets, so each resample
    draws the same tweets for both: the interval holds the tweets fixed, not the classifiers.
    """
    rng = numpy.random.default_rng(seed)
    out = {}
    for language in a:
        diff = a[language].astype(float) - b[language].astype(float)
        draws = diff[rng.integers(0, diff.size, size=(resamples, diff.size))].mean(axis=1)
        out[language] = stats.percentile_interval(draws, point=float(diff.mean()))
    return out


_ENCODER_FILES = (
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "sentencepiece.bpe.model",
    "model.safetensors",
    "README.md",
)
_TWEETS = assets.Hub(
    TWEETS_ID,
    "dataset",
    TWEETS_REVISION,
    "Tweet Sentiment Multilingual (Barbieri, Espinosa Anke & Camacho-Collados 2022, XLM-T, LREC): "
    "1,838 / 323 / 869 train/validation/test tweets in each of 8 languages, the hub's parquet branch",
    "CC BY 3.0 (as its card states); Twitter's terms apply to the tweets",
    tuple(f"{language}/*/*.parquet" for language in LANGUAGES),
)
ASSETS = (
    assets.Asset(
        "multilingual_encoder",
        "a multilingual sentence encoder (small/full only): one vocabulary and model for about 50-100 "
        "languages",
        {
            "tiny": assets.Built(
                _placeholder("a multilingual encoder"), "1", "none in tiny: lesson 08 section 5", "-"
            ),
            "small": assets.Hub(
                "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2",
                "model",
                None,
                "paraphrase-multilingual-MiniLM-L12-v2 (Reimers & Gurevych 2020), 50+ languages",
                "Apache-2.0",
                _ENCODER_FILES,
            ),
            "full": assets.Hub(
                "FacebookAI/xlm-roberta-base",
                "model",
                None,
                "XLM-R base (Conneau et al. 2020), 100 languages, masked-LM pretrained",
                "MIT",
                _ENCODER_FILES,
            ),
        },
        _load_encoder,
    ),
    assets.Asset(
        "multilingual_tweets",
        "tweets labelled negative/neutral/positive in 8 languages (small/full only)",
        {
            "tiny": assets.Built(
                _placeholder("the multilingual tweets"), "1", "none in tiny: lesson 08 section 5", "-"
            ),
            "small": _TWEETS,
            "full": _TWEETS,
        },
        _load_tweets,
    ),
)
