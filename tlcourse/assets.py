"""The registry: every model, data set and vector set a lesson uses, per profile, and how to get it.

Hub assets are named by org-prefixed id with a revision only where one can be cited (``None``
otherwise, and ``doctor`` says so); ``tiny`` assets by the function that builds them from what pip
packages ship. :func:`path` gives an asset's folder, building or downloading it into the cache first;
:func:`load` gives the object a lesson works with. Lesson 00 introduces the registry.

>>> from tlcourse import assets
>>> reviews = assets.load("movie_reviews", "tiny")   # doctest: +SKIP

A module that declares assets keeps an ``ASSETS`` tuple of :class:`Asset` beside the code that builds
them and is named in :func:`declaring_modules`; each lesson's list of assets lives in :data:`LESSONS`.
Over 350 lines because the three kinds of asset (built here, from the hub, from a package-index archive)
are looked up, cached, checked and described in one place, with the assets every lesson shares.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from tlcourse import archives, cache, corpora, folds, packaged, profiles


@dataclasses.dataclass(frozen=True)
class Built:
    """An asset built locally by ``builder(folder)`` (no network); ``version`` changes when it does."""

    builder: Callable[[Path], None]
    version: str
    source: str
    licence: str


@dataclasses.dataclass(frozen=True)
class Hub:
    """An asset downloaded from the model hub: a model or data set repository."""

    repo_id: str
    repo_type: str  # "model" or "dataset"
    revision: str | None  # a commit hash only where one can be cited
    source: str
    licence: str
    allow_patterns: tuple[str, ...] | None = None


@dataclasses.dataclass(frozen=True)
class Asset:
    """One name the lessons use, with what stands behind it in each profile and how to read it."""

    name: str
    description: str
    variants: dict[str, Built | Hub | archives.Archive]
    loader: Callable[[Path, str], Any]


class AssetMissing(RuntimeError):
    """An asset is neither cached nor obtainable here; the message gives the command that fixes it."""


def placeholder(note: str) -> Callable[[Path], None]:
    """A builder for a profile that does not use an asset: it writes ``note`` (why, and where the asset is
    used) into ``README.txt``, so the registry stays complete in every profile."""

    def write(folder: Path) -> None:
        (folder / "README.txt").write_text(note, encoding="utf-8")

    write.__name__ = write.__qualname__ = "placeholder"
    return write


def read_parquet(folder: Path, pattern: str):
    """The parquet files of a hub data set's folder that match ``pattern`` as one ``datasets.Dataset``;
    a clear error naming ``python -m tlcourse prepare`` when there are none."""
    import datasets

    files = sorted(str(path) for path in Path(folder).glob(pattern))
    if not files:
        raise FileNotFoundError(
            f"{folder} has no {pattern}: run `python -m tlcourse prepare --profile small` (or full) on a "
            "machine that reaches the hub."
        )
    return datasets.load_dataset("parquet", data_files={"train": files}, split="train")


def _load_movie_reviews(folder: Path, profile: str):
    if profile == "tiny":
        return corpora.load_movie_reviews(folder)
    import datasets

    train = datasets.load_dataset(str(folder), split="train")
    size = {"small": 2000}.get(profile)
    if size is not None and len(train) > size:
        train = train.shuffle(seed=folds.FOLD_SEED).select(range(size))
    # The same features in every profile: 0 negative, 1 positive, named (the hub's parquet may carry plain
    # ints).
    train = train.select_columns(["text", "label"]).cast_column(
        "label", datasets.ClassLabel(names=list(corpora.LABEL_NAMES))
    )
    return folds.with_folds(train)


def _load_encoder(folder: Path, profile: str):
    """``(tokenizer, model)`` of a pretrained encoder, in eval mode on the CPU."""
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
    model = transformers.AutoModel.from_pretrained(str(folder))
    return tokenizer, model.eval()


_GENSIM_TEXT = "gensim's test data (shipped in its PyPI wheel)"
_WIKI = Built(
    corpora.build_wiki, "1", f"English Wikipedia, 105 articles, from {_GENSIM_TEXT}", "CC BY-SA 4.0"
)
_LEE = Built(
    corpora.build_lee,
    "1",
    f"Lee, Pincombe & Welsh (2005) news corpus and ratings, from {_GENSIM_TEXT}",
    "none stated",
)
_WORD_EVAL = Built(
    corpora.build_word_eval,
    "1",
    f"WordSim-353, SimLex-999, Mikolov's analogy questions, from {_GENSIM_TEXT}",
    "see each file's header",
)
_ROTTEN = "Pang & Lee (2005) Rotten Tomatoes sentences"
_ROTTEN_ID = "cornell-movie-review-data/rotten_tomatoes"
#: The commit whose tree holds train/validation/test.parquet (as listed on the hub's public file page).
_ROTTEN_REVISION = "b6059de032aed3fea5bfadcbef8d375559c6bfd9"
_PARQUET = ("*.parquet", "README.md")

#: The assets many lessons share: the bundled text and the packaged encoder.
ASSETS = (
    Asset(
        "wiki",
        "English Wikipedia sentences, one a line (pretraining text)",
        {"tiny": _WIKI, "small": _WIKI, "full": _WIKI},
        lambda folder, profile: corpora.load_wiki(folder),
    ),
    Asset(
        "lee",
        "Lee news corpus: 300 background documents, 50 rated ones, human similarity ratings",
        {"tiny": _LEE, "small": _LEE, "full": _LEE},
        lambda folder, profile: folder,
    ),
    Asset(
        "word_eval",
        "word similarity (WordSim-353, SimLex-999) and analogy test sets",
        {"tiny": _WORD_EVAL, "small": _WORD_EVAL, "full": _WORD_EVAL},
        lambda folder, profile: folder,
    ),
    Asset(
        "movie_reviews",
        "movie-review sentences labelled negative/positive, with fixed 10x5 folds",
        {
            "tiny": Built(
                corpora.build_movie_reviews, "1", f"200 {_ROTTEN} from {_GENSIM_TEXT} (cp1252)", "none stated"
            ),
            "small": Hub(
                _ROTTEN_ID,
                "dataset",
                _ROTTEN_REVISION,
                f"{_ROTTEN}, 2,000 of the training set",
                "none stated",
                _PARQUET,
            ),
            "full": Hub(
                _ROTTEN_ID,
                "dataset",
                _ROTTEN_REVISION,
                f"{_ROTTEN}, training set (8,530)",
                "none stated",
                _PARQUET,
            ),
        },
        _load_movie_reviews,
    ),
    Asset(
        "encoder",
        "a pretrained BERT-family sentence encoder (not a language model: it has no masked-LM head)",
        {
            "tiny": Built(
                packaged.build,
                "1",
                f"{packaged.HUB_ID} from the PyPI wheel {packaged.DISTRIBUTION}=={packaged.VERSION}",
                "Apache-2.0",
            ),
            "small": Hub(
                packaged.HUB_ID,
                "model",
                packaged.HUB_REVISION,
                "all-MiniLM-L6-v2 from the hub (the same weights as tiny)",
                "Apache-2.0",
                ("*.json", "*.txt", "model.safetensors", "README.md"),
            ),
            "full": Hub(
                "sentence-transformers/all-mpnet-base-v2",
                "model",
                None,
                "all-mpnet-base-v2 from the hub",
                "Apache-2.0",
                ("*.json", "*.txt", "model.safetensors", "README.md"),
            ),
        },
        _load_encoder,
    ),
)

#: What each lesson needs, every lesson in this one place: ``env.setup(lesson=...)`` checks these before the
#: lesson goes on, ``build-lessons`` lists them in the README. A new lesson adds its line here.
LESSONS: dict[str, tuple[str, ...]] = {
    "00_map_of_transfer": ("movie_reviews",),
    "01_word_vectors": ("wiki", "lee", "word_eval", "word2vec", "pretrained_vectors"),
    # Word vectors come from lesson 01's entries: its word2vec in tiny, GloVe in small, Google News in full.
    "02_sentence_vectors": (
        "encoder",
        "movie_reviews",
        "lee",
        "newsgroups",
        "base_encoder",
        "word2vec",
        "pretrained_vectors",
    ),
    "03_contextual_vectors": ("encoder", "movie_reviews"),
    "04_language_model_pretraining": ("wiki", "wiki_wordpiece", "wiki_bert", "movie_reviews", "encoder"),
    # In tiny both point at bundled assets (encoder, movie_reviews), built on first use; nothing else needed.
    "05_fine_tuning_bert": ("classifier_base", "sentiment_domains"),
    # tiny: VADER's four domains (the vaderSentiment sdist); small/full: hub tweets, Amazon, movies; VADER's
    # NYT.
    "06_domain_adaptation": (
        "sentiment_domains",
        "tweet_sentiment",
        "amazon_polarity",
        "movie_reviews",
        "encoder",
        "wiki",
        "wiki_wordpiece",
        "wiki_bert",
    ),
    # The encoder's tokenizer only (section 4); the rest: package-index archives, the same in every profile.
    # Lesson 06's domains (two as tasks), the newsgroup posts, and four languages' UI strings with English.
    "07_multi_task_learning": (
        "sentiment_domains",
        "tweet_sentiment",
        "amazon_polarity",
        "movie_reviews",
        "newsgroups",
        "encoder",
        "ui_strings_fr_fr",
        "ui_strings_de_de",
        "ui_strings_es_es",
        "ui_strings_zh_cn",
        "glue",  # small/full only (section 6): GLUE's rte, mrpc, stsb and mnli; a placeholder in tiny
    ),
    "08_cross_lingual_transfer": (
        "wiki",
        "lee",
        "glove_en",
        "fasttext_fr",
        "dictionary_en_fr",
        "sentiment_domains",
        "encoder",
        "ui_strings_fr_fr",
        "ui_strings_de_de",
        "ui_strings_ru_ru",
        "ui_strings_zh_cn",
        # section 5, small/full only (placeholders in tiny): the multilingual encoder and XLM-T's tweets
        "multilingual_encoder",
        "multilingual_tweets",
    ),
    "09_hubs_and_adapters": ("encoder", "sentiment_domains"),
    # Whole Wikipedia articles come straight from gensim's dump (documents.py); lesson 04's model and
    # tokenizer; Lee 2005 and the packaged encoder for section 5's contrastive training.
    # small/full: the released ELECTRA discriminator and generator (section 4) and T5 (section 2).
    "10_beyond_next_word": (
        "wiki",
        "wiki_wordpiece",
        "wiki_bert",
        "lee",
        "encoder",
        "electra_discriminator",
        "electra_generator",
        "t5",
    ),
}


def declaring_modules() -> tuple[ModuleType, ...]:
    """Every module that declares assets (an ``ASSETS`` tuple beside the code that builds them), this first.

    The one list: a new module that declares assets is imported here (a test checks that none is left out).
    Imported when the registry is first used, not at import time, because they import this module for
    :class:`Asset`, :class:`Built` and :class:`Hub`.
    """
    from tlcourse import (
        dictionary,
        domain_data,
        electra,
        finetuning,
        glue,
        multilingual,
        pretraining,
        sentences,
        sentiment_domains,
        span_corruption,
        ui_strings,
        vector_sets,
        word2vec,
    )

    return (
        sys.modules[__name__],
        word2vec,
        sentences,
        pretraining,
        finetuning,
        domain_data,
        electra,
        span_corruption,
        glue,
        multilingual,
        # taken from package archives on the package index
        sentiment_domains,
        vector_sets,
        ui_strings,
        dictionary,
    )


@functools.cache
def registry() -> dict[str, Asset]:
    """Every asset by name, gathered from :func:`declaring_modules`; an error if two declare the same name."""
    found: dict[str, Asset] = {}
    for module in declaring_modules():
        for asset in module.ASSETS:
            if asset.name in found:
                raise ValueError(f"{module.__name__} declares {asset.name!r}, which is already declared.")
            found[asset.name] = asset
    return found


def get(name: str) -> Asset:
    """The registry entry ``name``; an error listing the known names otherwise."""
    known = registry()
    if name not in known:
        raise KeyError(f"No asset called {name!r}. Known assets: {', '.join(sorted(known))}.")
    return known[name]


def variant(name: str, profile: str) -> Built | Hub | archives.Archive:
    """What stands behind asset ``name`` in ``profile`` (``"tiny"``, ``"small"`` or ``"full"``)."""
    return get(name).variants[profiles.get(profile).name]


def hub_cache() -> Path:
    """The folder inside the course cache where hub downloads live (a huggingface_hub cache)."""
    return cache.root() / "hub"


def prepare_command(profile: str) -> str:
    """The command that fetches everything ``profile`` needs."""
    return f"python -m tlcourse prepare --profile {profile}"


def path(name: str, profile: str, *, force: bool = False) -> Path:
    """The folder holding asset ``name`` for ``profile``, built or downloaded into the cache if needed.

    A damaged cached copy is rebuilt (see :func:`cache.verify`); ``force`` rebuilds or downloads it again.
    """
    profile = profiles.get(profile).name
    spec = variant(name, profile)
    if isinstance(spec, (Built, archives.Archive)):  # an archive is built from what pip downloads
        try:
            return cache.build(name, spec.builder, version=spec.version, force=force)
        except cache.CacheError as error:
            raise AssetMissing(
                f"{error} (asset {name!r}, profile {profile}: `{prepare_command(profile)}`)"
            ) from error
    return _hub_snapshot(name, spec, profile, force=force)


def load(name: str, profile: str):
    """The object a lesson works with for asset ``name`` (a Dataset, a list of sentences, a model...)."""
    profile = profiles.get(profile).name
    return get(name).loader(path(name, profile), profile)


def is_cached(name: str, profile: str) -> bool:
    """Whether asset ``name`` for ``profile`` is already in the cache (nothing is built or fetched)."""
    profile = profiles.get(profile).name
    spec = variant(name, profile)
    if isinstance(spec, (Built, archives.Archive)):
        return cache.is_built(name, spec.version)
    try:
        _hub_snapshot(name, spec, profile, local_only=True)
        return True
    except AssetMissing:
        return False


def require_lesson(lesson: str, *, profile: str) -> None:
    """Raise :class:`AssetMissing` now if an asset the lesson needs cannot be had here.

    A hub asset that is not cached fails when no hub answers; a package-index archive that is not cached
    is fetched now (it needs the package index, not the hub), and fails here, with the command, if it cannot
    be.
    """
    profile = profiles.get(profile).name
    if lesson not in LESSONS:
        raise KeyError(f"Unknown lesson {lesson!r}. Known lessons: {', '.join(sorted(LESSONS))}.")
    missing = [
        name
        for name in LESSONS[lesson]
        if isinstance(variant(name, profile), Hub) and not is_cached(name, profile)
    ]
    if missing and not profiles.hub_reachable():
        raise AssetMissing(
            f"Lesson {lesson} in the {profile} profile needs {', '.join(missing)}, which are not cached, "
            f"and no model hub answers. On a machine with network, run `{prepare_command(profile)}` "
            f"(with TLCOURSE_CACHE pointing at the cache this kernel uses: {cache.root()}), "
            "or set TLCOURSE_PROFILE=tiny to run the lesson offline."
        )
    unbuilt = [
        n for n in LESSONS[lesson] if isinstance(variant(n, profile), Built) and not is_cached(n, profile)
    ]
    if unbuilt and not cache.writable():
        raise AssetMissing(
            f"Lesson {lesson} needs {', '.join(unbuilt)}, which are not in the cache at {cache.root()}, and "
            f"that "
            f"folder cannot be written. Ask whoever manages it to run `{prepare_command(profile)}` with "
            f"TLCOURSE_CACHE={cache.root()}, or point TLCOURSE_CACHE at a folder of your own."
        )
    for name in LESSONS[lesson]:
        if isinstance(variant(name, profile), archives.Archive) and not is_cached(name, profile):
            path(
                name, profile
            )  # AssetMissing, with pip's reason and the command, if the index is out of reach


def hub_offline() -> bool:
    """Whether the hub is switched off for this process (``HF_HUB_OFFLINE``, as ``env.setup`` sets it in
    ``tiny``)."""
    import huggingface_hub.constants

    flag = os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}
    return flag or bool(huggingface_hub.constants.HF_HUB_OFFLINE)


def _hub_snapshot(
    name: str, spec: Hub, profile: str, *, local_only: bool = False, force: bool = False
) -> Path:
    import huggingface_hub
    from huggingface_hub import errors

    try:
        folder = huggingface_hub.snapshot_download(
            repo_id=spec.repo_id,
            repo_type=spec.repo_type,
            revision=spec.revision,
            cache_dir=str(hub_cache()),
            allow_patterns=list(spec.allow_patterns) if spec.allow_patterns else None,
            # Said outright when the hub is off: huggingface_hub 1.x otherwise lists a pinned revision's files
            # online even with HF_HUB_OFFLINE=1, and fails on a cache it did not write itself.
            local_files_only=local_only or hub_offline(),
            force_download=force and not (local_only or hub_offline()),
        )
    except (errors.LocalEntryNotFoundError, errors.OfflineModeIsEnabled, FileNotFoundError) as error:
        raise AssetMissing(
            f"{spec.repo_id} ({name!r} in the {profile} profile) is not in the cache at {hub_cache()} and "
            f"cannot be downloaded here. On a machine with network run `{prepare_command(profile)}`, "
            "or set TLCOURSE_PROFILE=tiny to use the bundled assets."
        ) from error
    return Path(folder)


def prepare(profile: str, *, names: list[str] | None = None, force: bool = False) -> list[dict]:
    """Build or download every asset of ``profile`` (or just ``names``); one summary row per asset.

    A damaged cached asset is rebuilt; ``force`` rebuilds or downloads every one again.
    """
    from tqdm.auto import tqdm

    profile = profiles.get(profile).name
    rows = []
    for name in tqdm(names or sorted(registry()), desc=f"prepare {profile}", unit="asset"):
        spec = variant(name, profile)
        before = is_cached(name, profile) and not force
        folder = path(name, profile, force=force)
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        kind = "downloaded" if isinstance(spec, Hub) else "built"
        rows.append(
            {
                "asset": name,
                "status": "cached" if before else kind,
                "megabytes": size / 1e6,
                "path": str(folder),
            }
        )
    return rows


def state(name: str, profile: str) -> str:
    """``"cached"``, ``"damaged: ..."`` (what :func:`cache.verify` found, every file hashed), ``"built on
    first
    use"`` (a local build the cache can still take), or ``"missing"`` (to download or fetch, or no room to
    build)."""
    spec = variant(name, profile)
    if isinstance(spec, Hub):
        return "cached" if is_cached(name, profile) else "missing"
    damage = cache.verify(name, spec.version, deep=True)
    if damage:
        return "damaged: " + "; ".join(damage)
    if cache.is_built(name, spec.version):
        return "cached"
    return "built on first use" if isinstance(spec, Built) and cache.writable() else "missing"


def describe(profile: str) -> list[dict]:
    """One row per asset: where it comes from in ``profile``, its revision, its :func:`state`."""
    profile = profiles.get(profile).name
    rows = []
    for name in sorted(registry()):
        spec = variant(name, profile)
        hub, archive = isinstance(spec, Hub), isinstance(spec, archives.Archive)
        if hub:
            how, revision = (
                f"hub {spec.repo_type} {spec.repo_id}",
                spec.revision or "none pinned (no citable revision)",
            )
        elif archive:
            how, revision = f"package index {spec.kind} {spec.requirement}", f"sha256 {spec.sha256[:12]}..."
        else:
            how, revision = (
                f"built here by {spec.builder.__module__}.{spec.builder.__name__}",
                f"v{spec.version}",
            )
        rows.append(
            {
                "asset": name,
                "how": how,
                "source": spec.source,
                "revision": revision,
                "licence": spec.licence,
                "citation": spec.citation if archive else "",
                "state": (current := state(name, profile)),
                "cached": current == "cached",
            }
        )
    return rows
