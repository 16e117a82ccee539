"""Translated user-interface strings: JupyterLab's language packs as English-to-X sentence pairs.

Each ``jupyterlab-language-pack-xx-yy==4.5.post3`` wheel (BSD-3-Clause, Project Jupyter contributors)
holds the translations of JupyterLab's and 16 extensions' UI strings, keyed by their English source:
real, human-translated text aligned with English, for language identification, tokenizer fertility
and sentence retrieval. Pairs whose translation is empty or equal to the English are dropped (they say
nothing about the language); a gettext context (``menu\\x04Open``) is removed; of a plural, the singular
is kept. Lessons 07 and 08 use them.

>>> from tlcourse import ui_strings
>>> pairs = ui_strings.load(["fr-fr"], profile="tiny")   # doctest: +SKIP
"""

from __future__ import annotations

import json
from pathlib import Path

from tlcourse import archives, assets

RELEASE = "4.5.post3"
#: sha256 of each language pack's wheel at :data:`RELEASE`.
SHA256 = {
    "fr-fr": "9f6ce9d4e64b367ff084a2313af29d6ad8a02d1d08000f3e6c53e2856fa9a11f",
    "de-de": "b716b56f7e0c884f42152d5e36c253ea0f32ca41f99097d842d3934f4a4bc7fb",
    "es-es": "8b315de006bc48d5798988cff6141f00694e411265011ea21570b4f459070381",
    "ru-ru": "d294daf163b0df9bdd14012b574ff311f1f4a166524b38469e90e26eb2c380f6",
    "zh-cn": "47cdb0c41c6b066e795c867786c9c29fde527e2bf15aa6b3e9b2bab9929304b5",
    "ja-jp": "f3fe9d9228f79fa5b289bb271564e106b75c21be79e7874a658ad2aa50901299",
    "ar-sa": "5e7af54431cad3f42d67476b0e6dd44ee968a6f723dad37f3847604fcb882bfa",
}
LANGUAGES = tuple(SHA256)
#: The message catalogues every pack holds: JupyterLab's own and those of 16 extensions.
DOMAINS = (
    "dask_labextension", "jupyter_archive", "jupyter_collaboration", "jupyter_resource_usage", "jupyterlab",
    "jupyterlab_git", "jupyterlab_lsp", "jupyterlab_recents", "jupyterlab_search_replace",
    "jupyterlab_spreadsheet_editor", "jupyterlab_tour", "jupyterlab_widgets", "jupytext", "nbdime",
    "notebook", "retrolab", "spellchecker",
)  # fmt: skip
CITATION = "Project Jupyter contributors: JupyterLab language packs (jupyterlab/language-packs), 4.5.post3."


def asset_name(language: str) -> str:
    """The registry name of one language's pairs, e.g. ``ui_strings_fr_fr``."""
    if language not in SHA256:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}.")
    return "ui_strings_" + language.replace("-", "_")


def _locale(language: str) -> str:
    lang, region = language.split("-")
    return f"{lang}_{region.upper()}"


def _package_folder(language: str) -> str:
    return f"jupyterlab_language_pack_{_locale(language)}"


def members(language: str) -> tuple[str, ...]:
    """The catalogue files and the licence inside one pack's wheel."""
    folder = f"{_package_folder(language)}/locale/{_locale(language)}/LC_MESSAGES"
    info = f"jupyterlab_language_pack_{language.replace('-', '_')}-{RELEASE}.dist-info"
    licence = f"{info}/licenses/LICENSE.txt"
    return tuple(f"{folder}/{domain}.json" for domain in DOMAINS) + (licence,)


def catalogue_pairs(catalogue: dict) -> list[tuple[str, str]]:
    """``(english, translation)`` of one Jed-style JSON catalogue (msgid -> list of translated forms)."""
    pairs = []
    for key, forms in catalogue.items():
        if not key or not isinstance(forms, list) or not forms:
            continue  # "" holds the catalogue's header
        english = key.split("\x04", 1)[-1].strip()  # drop a gettext context
        translation = str(forms[0]).strip()  # the singular of a plural
        if english and translation and translation != english:
            pairs.append((english, translation))
    return pairs


def _converter(language: str):
    def convert(src: Path, dst: Path) -> dict:
        seen, rows = set(), []
        for member in members(language)[:-1]:
            catalogue = json.loads((src / member).read_text(encoding="utf-8"))
            for english, translation in catalogue_pairs(catalogue):
                if english not in seen:  # the same English in two catalogues: keep the first
                    seen.add(english)
                    row = {"english": english, "translation": translation, "catalogue": Path(member).stem}
                    rows.append(row)
        count = archives.write_jsonl(dst / "pairs.jsonl", rows)
        (dst / "LICENSE.txt").write_bytes((src / members(language)[-1]).read_bytes())
        return {"pairs": count}

    convert.__name__ = f"convert_{language.replace('-', '_')}"
    return convert


def read_pairs(folder: Path) -> list[tuple[str, str]]:
    """``(english, translation)`` pairs of a built language asset."""
    return [(row["english"], row["translation"]) for row in archives.read_jsonl(Path(folder) / "pairs.jsonl")]


def load(languages=LANGUAGES, *, profile: str | None = None) -> dict[str, list[tuple[str, str]]]:
    """``{language: [(english, translation), ...]}`` for each of ``languages`` (e.g. ``"fr-fr"``)."""
    return {language: assets.load(asset_name(language), profile) for language in languages}


def _archive(language: str) -> archives.Archive:
    return archives.Archive(
        package=f"jupyterlab-language-pack-{language}",
        release=RELEASE,
        kind="wheel",
        sha256=SHA256[language],
        members=members(language),
        convert=_converter(language),
        source=f"JupyterLab's UI strings in {language} with their English source (language pack {RELEASE})",
        licence="BSD-3-Clause",
        citation=CITATION,
    )


# --- registry entries (one block; lessons 07-08 will list them) --------------------------------------
ASSETS = tuple(
    assets.Asset(
        asset_name(language),
        f"JupyterLab UI strings, English -> {language} pairs",
        dict.fromkeys(("tiny", "small", "full"), _archive(language)),
        lambda folder, profile: read_pairs(folder),
    )
    for language in LANGUAGES
)
