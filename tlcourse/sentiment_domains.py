"""Human-rated sentiment in four domains (Hutto & Gilbert 2014), read from the vaderSentiment sdist.

The VADER authors had about 20 people rate every snippet from -4 (most negative) to +4 and published
the means for four domains: tweets (4,200), Amazon product-review snippets (3,708), movie-review
snippets (10,605; Pang & Lee's Rotten Tomatoes sentences, the source of lesson 00's 200) and New York
Times editorial snippets (5,190), with the VADER lexicon (about 7,500 rated English words). They ship
only in the ``vaderSentiment==3.3.2`` sdist (MIT), so in every profile the asset is that archive
(no hub copy of these ratings exists). Binary labels drop the snippets whose mean rating is within
0.5 of neutral. Lesson 06 (domain adaptation) uses them; lesson 07 too.

>>> from tlcourse import sentiment_domains
>>> tweets = sentiment_domains.load("tweets", profile="tiny")   # doctest: +SKIP
"""

from __future__ import annotations

import tarfile
from pathlib import Path

from tlcourse import archives, assets, corpora, folds

DOMAINS = ("tweets", "amazon", "movies", "nyt")
#: Snippets rated closer to neutral than this are dropped from the binary task (|mean| < 0.5).
NEUTRAL_BAND = 0.5
_FILES = {
    "tweets": "tweets_GroundTruth.txt",
    "amazon": "amazonReviewSnippets_GroundTruth.txt",
    "movies": "movieReviewSnippets_GroundTruth.txt",
    "nyt": "nytEditorialSnippets_GroundTruth.txt",
}
_TOP = "vaderSentiment-3.3.2"
_RATINGS = f"{_TOP}/additional_resources/hutto_ICWSM_2014.tar.gz"
_LEXICON = f"{_TOP}/vaderSentiment/vader_lexicon.txt"
_LICENCE = f"{_TOP}/LICENSE.txt"
CITATION = (
    "Hutto, C.J. & Gilbert, E.E. (2014). VADER: A Parsimonious Rule-based Model for Sentiment Analysis of "
    "Social Media Text. ICWSM-14."
)


def parse_ratings(text: str) -> list[dict]:
    """Rows ``{"id", "score", "text"}`` of one ``*_GroundTruth.txt`` (tab-separated id, mean rating, text)."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t", 2)
        if len(parts) != 3:
            raise ValueError(f"line {number}: expected id, rating, text (tab-separated); got {line[:60]!r}.")
        rows.append({"id": parts[0], "score": float(parts[1]), "text": parts[2].strip()})
    return rows


def parse_lexicon(text: str) -> list[dict]:
    """Rows ``{"word", "mean", "sd"}`` of ``vader_lexicon.txt`` (token, mean, sd, the ten raw ratings)."""
    rows = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3:
            rows.append({"word": parts[0], "mean": float(parts[1]), "sd": float(parts[2])})
    return rows


def convert(src: Path, dst: Path) -> dict:
    """Write ``{domain}.jsonl`` for the four domains, ``lexicon.jsonl`` and ``LICENSE.txt``; the counts."""
    counts = {}
    with tarfile.open(src / _RATINGS, "r:gz") as inner:
        for domain, name in _FILES.items():
            raw = inner.extractfile(f"hutto_ICWSM_2014/{name}").read()
            counts[domain] = archives.write_jsonl(dst / f"{domain}.jsonl", parse_ratings(raw.decode("utf-8")))
    lexicon = parse_lexicon((src / _LEXICON).read_text(encoding="utf-8"))
    counts["lexicon"] = archives.write_jsonl(dst / "lexicon.jsonl", lexicon)
    (dst / "LICENSE.txt").write_bytes((src / _LICENCE).read_bytes())
    return counts


def to_dataset(rows: list[dict]):
    """A ``datasets.Dataset`` (text, score, label, folds) of rated rows: |score| < 0.5 dropped, 10x5 folds."""
    import datasets

    kept = [row for row in rows if abs(row["score"]) >= NEUTRAL_BAND]
    features = datasets.Features(
        {
            "text": datasets.Value("string"),
            "score": datasets.Value("float64"),
            "label": datasets.ClassLabel(names=list(corpora.LABEL_NAMES)),
        }
    )
    dataset = datasets.Dataset.from_dict(
        {
            "text": [row["text"] for row in kept],
            "score": [row["score"] for row in kept],
            "label": [int(row["score"] > 0) for row in kept],
        },
        features=features,
    )
    return folds.with_folds(dataset)


def load(domain: str, *, profile: str | None = None):
    """One domain as a ``datasets.Dataset``: ``text``, ``score`` (raters' mean, -4..+4), ``label``, ``folds``.

    ``label`` is ``ClassLabel(["negative", "positive"])``; snippets with |score| < 0.5 are dropped. ``folds``
    are the course's fixed 10x5 stratified folds (seed 0), as in lesson 00.
    """
    if domain not in DOMAINS:
        raise ValueError(f"domain must be one of {DOMAINS}, not {domain!r}.")
    folder = assets.path("sentiment_domains", profile)
    return to_dataset(archives.read_jsonl(folder / f"{domain}.jsonl"))


def lexicon(*, profile: str | None = None) -> dict[str, float]:
    """The VADER lexicon: word (or emoticon) -> mean rating of ten people, -4..+4."""
    folder = assets.path("sentiment_domains", profile)
    return {row["word"]: row["mean"] for row in archives.read_jsonl(folder / "lexicon.jsonl")}


def _load_asset(folder: Path, profile: str) -> dict:
    return {domain: to_dataset(archives.read_jsonl(Path(folder) / f"{domain}.jsonl")) for domain in DOMAINS}


# --- registry entries (one block; lessons 06-07 will list them) -------------------------------------
_VADER = archives.Archive(
    package="vaderSentiment",
    release="3.3.2",
    kind="sdist",  # the wheel lacks the rated snippets
    sha256="5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9",
    members=(_RATINGS, _LEXICON, _LICENCE),
    convert=convert,
    source="Hutto & Gilbert (2014) human-rated snippets (tweets, Amazon, movies, NYT) and the VADER lexicon, "
    "from the vaderSentiment 3.3.2 sdist",
    licence="MIT",
    citation=CITATION,
)


ASSETS = (
    assets.Asset(
        "sentiment_domains",
        "human-rated sentiment in four domains (tweets, Amazon, movies, NYT) and the VADER lexicon",
        {"tiny": _VADER, "small": _VADER, "full": _VADER},
        _load_asset,
    ),
)
