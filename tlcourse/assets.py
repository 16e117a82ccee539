"""The registry: every model, data set and vector set a lesson uses, per profile, and how to get it.

Hub assets are named by org-prefixed id with a revision only where one can be cited (``None``
otherwise, and ``doctor`` says so); ``tiny`` assets by the function that builds them from what pip
packages ship. :func:`path` gives an asset's folder, building or downloading it into the cache first;
:func:`load` gives the object a lesson works with. Lesson 00 introduces the registry.

>>> from tlcourse import assets
>>> reviews = assets.load("movie_reviews")   # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tlcourse import cache, corpora, packaged, profiles


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
    variants: dict[str, Built | Hub]
    loader: Callable[[Path, str], Any]


class AssetMissing(RuntimeError):
    """An asset is neither cached nor obtainable here; the message gives the command that fixes it."""


def _load_movie_reviews(folder: Path, profile: str):
    if profile == "tiny":
        return corpora.load_movie_reviews(folder)
    import datasets

    train = datasets.load_dataset(str(folder), split="train")
    size = {"small": 2000}.get(profile)
    if size is not None and len(train) > size:
        train = train.shuffle(seed=corpora.FOLD_SEED).select(range(size))
    # The same features in every profile: 0 negative, 1 positive, named (the hub's parquet may carry plain ints).
    train = train.select_columns(["text", "label"]).cast_column("label", datasets.ClassLabel(names=list(corpora.LABEL_NAMES)))
    return corpora.with_folds(train)


def _load_encoder(folder: Path, profile: str):
    """``(tokenizer, model)`` of a pretrained encoder, in eval mode on the CPU."""
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
    model = transformers.AutoModel.from_pretrained(str(folder))
    return tokenizer, model.eval()


_GENSIM_TEXT = "gensim's test data (shipped in its PyPI wheel)"
_WIKI = Built(corpora.build_wiki, "1", f"English Wikipedia, 105 articles, from {_GENSIM_TEXT}", "CC BY-SA 4.0")
_LEE = Built(corpora.build_lee, "1", f"Lee, Pincombe & Welsh (2005) news corpus and ratings, from {_GENSIM_TEXT}", "none stated")
_WORD_EVAL = Built(
    corpora.build_word_eval, "1", f"WordSim-353, SimLex-999, Mikolov's analogy questions, from {_GENSIM_TEXT}", "see each file's header"
)
_ROTTEN = "Pang & Lee (2005) Rotten Tomatoes sentences"
_ROTTEN_ID = "cornell-movie-review-data/rotten_tomatoes"
#: The commit whose tree holds train/validation/test.parquet (as listed on the hub's public file page).
_ROTTEN_REVISION = "b6059de032aed3fea5bfadcbef8d375559c6bfd9"
_PARQUET = ("*.parquet", "README.md")

REGISTRY: dict[str, Asset] = {
    asset.name: asset
    for asset in (
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
                    _ROTTEN_ID, "dataset", _ROTTEN_REVISION, f"{_ROTTEN}, 2,000 of the training set", "none stated", _PARQUET
                ),
                "full": Hub(_ROTTEN_ID, "dataset", _ROTTEN_REVISION, f"{_ROTTEN}, training set (8,530)", "none stated", _PARQUET),
            },
            _load_movie_reviews,
        ),
        Asset(
            "encoder",
            "a pretrained BERT-family sentence encoder (not a language model: it has no masked-LM head)",
            {
                "tiny": Built(
                    packaged.build, "1", f"{packaged.HUB_ID} from the PyPI wheel {packaged.DISTRIBUTION}=={packaged.VERSION}", "Apache-2.0"
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
}

#: What each lesson needs; ``env.setup(lesson=...)`` checks these before the lesson goes on.
LESSONS: dict[str, tuple[str, ...]] = {
    "00_map_of_transfer": ("movie_reviews",),
}

#: Concept modules that declare assets of their own next to the code that builds them: each has an
#: ``ASSETS`` tuple of :class:`Asset` and a ``LESSONS`` dict, merged into the registry on first use.
DECLARING_MODULES = ("tlcourse.word2vec", "tlcourse.contextual", "tlcourse.pretraining", "tlcourse.sentences", "tlcourse.finetuning",
                     "tlcourse.adapters")
_merged = False


def _merge_declared() -> None:
    global _merged
    if _merged:
        return
    import importlib

    for module_name in DECLARING_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name == module_name:  # that lesson is not written yet
                continue
            raise
        for asset in getattr(module, "ASSETS", ()):
            if asset.name in REGISTRY and REGISTRY[asset.name] is not asset:
                raise ValueError(f"{module_name} declares asset {asset.name!r}, which already exists.")
            REGISTRY[asset.name] = asset
        LESSONS.update(getattr(module, "LESSONS", {}))
    _merged = True


def get(name: str) -> Asset:
    """The registry entry ``name``; an error listing the known names otherwise."""
    _merge_declared()
    if name not in REGISTRY:
        raise KeyError(f"No asset called {name!r}. Known assets: {', '.join(sorted(REGISTRY))}.")
    return REGISTRY[name]


def active_profile(profile: str | None = None) -> str:
    """``profile`` if given, else the one ``env.setup`` chose (``TLCOURSE_PROFILE``), else ``tiny``."""
    return profiles.get(profile or os.environ.get(profiles.ENV_VAR, "") or "tiny").name


def variant(name: str, profile: str | None = None) -> Built | Hub:
    """What stands behind asset ``name`` in ``profile``."""
    return get(name).variants[active_profile(profile)]


def hub_cache() -> Path:
    """The folder inside the course cache where hub downloads live (a huggingface_hub cache)."""
    return cache.root() / "hub"


def prepare_command(profile: str) -> str:
    """The command that fetches everything ``profile`` needs."""
    return f"python -m tlcourse prepare --profile {profile}"


def path(name: str, profile: str | None = None) -> Path:
    """The folder holding asset ``name`` for ``profile``, built or downloaded into the cache if needed."""
    profile = active_profile(profile)
    spec = variant(name, profile)
    if isinstance(spec, Built):
        try:
            return cache.build(name, spec.builder, version=spec.version)
        except cache.CacheError as error:
            raise AssetMissing(f"{error} (asset {name!r}, profile {profile}: `{prepare_command(profile)}`)") from error
    return _hub_snapshot(name, spec, profile)


def load(name: str, profile: str | None = None):
    """The object a lesson works with for asset ``name`` (a Dataset, a list of sentences, a model...)."""
    profile = active_profile(profile)
    return get(name).loader(path(name, profile), profile)


def is_cached(name: str, profile: str | None = None) -> bool:
    """Whether asset ``name`` for ``profile`` is already in the cache (nothing is built or fetched)."""
    profile = active_profile(profile)
    spec = variant(name, profile)
    if isinstance(spec, Built):
        return cache.is_built(name, spec.version)
    try:
        _hub_snapshot(name, spec, profile, local_only=True)
        return True
    except AssetMissing:
        return False


def require_lesson(lesson: str, *, profile: str | None = None) -> None:
    """Raise :class:`AssetMissing` now if a hub asset the lesson needs is not cached and no hub answers."""
    profile = active_profile(profile)
    _merge_declared()
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


def hub_offline() -> bool:
    """Whether the hub is switched off for this process (``HF_HUB_OFFLINE``, as ``env.setup`` sets it in ``tiny``)."""
    import huggingface_hub.constants

    flag = os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}
    return flag or bool(huggingface_hub.constants.HF_HUB_OFFLINE)


def _hub_snapshot(name: str, spec: Hub, profile: str, *, local_only: bool = False) -> Path:
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
        )
    except (errors.LocalEntryNotFoundError, errors.OfflineModeIsEnabled, FileNotFoundError) as error:
        raise AssetMissing(
            f"{spec.repo_id} ({name!r} in the {profile} profile) is not in the cache at {hub_cache()} and "
            f"cannot be downloaded here. On a machine with network run `{prepare_command(profile)}`, "
            "or set TLCOURSE_PROFILE=tiny to use the bundled assets."
        ) from error
    return Path(folder)


def prepare(profile: str, *, names: list[str] | None = None) -> list[dict]:
    """Build or download every asset of ``profile`` (or just ``names``); one summary row per asset."""
    from tqdm.auto import tqdm

    profile = active_profile(profile)
    _merge_declared()
    rows = []
    for name in tqdm(names or sorted(REGISTRY), desc=f"prepare {profile}", unit="asset"):
        spec = variant(name, profile)
        before = is_cached(name, profile)
        folder = path(name, profile)
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        kind = "built" if isinstance(spec, Built) else "downloaded"
        rows.append({"asset": name, "status": "cached" if before else kind, "megabytes": size / 1e6, "path": str(folder)})
    return rows


def describe(profile: str | None = None) -> list[dict]:
    """One row per asset: where it comes from in ``profile``, its revision, whether it is cached."""
    profile = active_profile(profile)
    _merge_declared()
    rows = []
    for name in sorted(REGISTRY):
        spec = variant(name, profile)
        hub = isinstance(spec, Hub)
        rows.append(
            {
                "asset": name,
                "how": f"hub {spec.repo_type} {spec.repo_id}" if hub else f"built here by {spec.builder.__module__}.{spec.builder.__name__}",
                "source": spec.source,
                "revision": (spec.revision or "none pinned (no citable revision)") if hub else f"v{spec.version}",
                "licence": spec.licence,
                "cached": is_cached(name, profile),
            }
        )
    return rows
