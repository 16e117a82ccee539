"""An English-French word dictionary without a hub: CLDR names, emoji short names and numerals, with sources.

Bilingual lexicon induction (lesson 08) needs word pairs to fit and to test a mapping. Three sources
that need no hub give real, human-made ones:

* CLDR (the Unicode Common Locale Data Repository, Unicode licence) through Babel: the names of
  countries, languages, currencies, months and days in both languages (``cldr-territory`` ...).
* The CLDR short names of emoji (``🐈`` is "cat" / "chat"), read as data from the ``emoji==2.16.0``
  wheel's JSON files (BSD-3-Clause; the package is never imported).
* Numerals 0-100 and a few powers of ten spelled out by ``num2words`` (LGPL-2.1, used as a library:
  the words are made by its code, so there is no data file to read).

Only single words are kept (no spaces; ``dix-sept`` counts as one word), and pairs that are the same
word up to case (``Yemba`` / ``yemba``) are dropped: identical strings are a separate seed in lesson 08.
Each row says its source; a pair found in two sources keeps the first. Lesson 08 uses them.

>>> from tlcourse import dictionary
>>> rows = dictionary.load(profile="tiny")   # doctest: +SKIP
"""

from __future__ import annotations

import json
from pathlib import Path

from tlcourse import archives, assets

_EMOJI_MEMBERS = (
    "emoji/unicode_codes/emoji.json",
    "emoji/unicode_codes/emoji_fr.json",
    "emoji-2.16.0.dist-info/licenses/LICENSE.txt",
)
_FULLY_QUALIFIED = 2  # emoji's status code for a fully-qualified emoji
NUMBERS = (*range(101), 1000, 1_000_000)


def single_word(text: str) -> str | None:
    """``text`` stripped, if it is one word (no spaces, at least one letter); else None."""
    text = " ".join(text.replace("_", " ").split())
    return text if text and " " not in text and any(c.isalpha() for c in text) else None


def cldr_pairs() -> list[tuple[str, str, str]]:
    """``(english, french, source)`` of single-word CLDR names through Babel."""
    from babel import Locale

    english, french = Locale("en"), Locale("fr")
    tables = {
        "cldr-territory": (english.territories, french.territories),
        "cldr-language": (english.languages, french.languages),
        "cldr-currency": (english.currencies, french.currencies),
        "cldr-month": (english.months["format"]["wide"], french.months["format"]["wide"]),
        "cldr-day": (english.days["format"]["wide"], french.days["format"]["wide"]),
    }
    rows = []
    for source, (en_names, fr_names) in tables.items():
        for code, en_name in en_names.items():
            pair = single_word(str(en_name)), single_word(str(fr_names.get(code, "")))
            if all(pair):
                rows.append((*pair, source))
    return rows


def emoji_pairs(emoji_data: dict, emoji_fr: dict) -> list[tuple[str, str, str]]:
    """``(english, french, "emoji-cldr")`` of single-word emoji short names (``:cat:`` / ``:chat:``)."""
    rows = []
    for char, record in emoji_data.items():
        if record.get("status") != _FULLY_QUALIFIED or char not in emoji_fr:
            continue
        pair = single_word(record["en"].strip(":")), single_word(emoji_fr[char].strip(":"))
        if all(pair):
            rows.append((*pair, "emoji-cldr"))
    return rows


def numeral_pairs() -> list[tuple[str, str, str]]:
    """``(english, french, "num2words")`` of the numbers in :data:`NUMBERS` that are one word in both."""
    from num2words import num2words

    rows = []
    for number in NUMBERS:
        pair = single_word(num2words(number, lang="en")), single_word(num2words(number, lang="fr"))
        if all(pair):
            rows.append((*pair, "num2words"))
    return rows


def merge(*sources: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """All rows; a pair seen before (in any source), or the same word in both languages, is dropped."""
    seen, rows = set(), []
    for rows_of_source in sources:
        for english, french, source in rows_of_source:
            if (english, french) not in seen and english.lower() != french.lower():
                seen.add((english, french))
                rows.append((english, french, source))
    return rows


def convert(src: Path, dst: Path) -> dict:
    """Write ``pairs.jsonl`` (english, french, source) from CLDR, the emoji archive's JSON and num2words."""
    import importlib.metadata

    emoji_data = json.loads((src / _EMOJI_MEMBERS[0]).read_text(encoding="utf-8"))
    emoji_fr = json.loads((src / _EMOJI_MEMBERS[1]).read_text(encoding="utf-8"))
    rows = merge(cldr_pairs(), emoji_pairs(emoji_data, emoji_fr), numeral_pairs())
    archives.write_jsonl(dst / "pairs.jsonl", ({"english": e, "french": f, "source": s} for e, f, s in rows))
    (dst / "LICENSE-emoji.txt").write_bytes((src / _EMOJI_MEMBERS[2]).read_bytes())
    counts: dict = {"pairs": len(rows)}
    for _, _, source in rows:
        counts[source] = counts.get(source, 0) + 1
    return counts | {f"{name} version": importlib.metadata.version(name) for name in ("babel", "num2words")}


def read_pairs(folder: Path, profile: str | None = None) -> list[tuple[str, str, str]]:
    """``(english, french, source)`` rows of the built dictionary."""
    rows = archives.read_jsonl(Path(folder) / "pairs.jsonl")
    return [(row["english"], row["french"], row["source"]) for row in rows]


def load(*, profile: str | None = None) -> list[tuple[str, str, str]]:
    """The dictionary's ``(english, french, source)`` rows (the ``dictionary_en_fr`` asset)."""
    return assets.load("dictionary_en_fr", profile)


# --- registry entry (one block; lesson 08 will list it) -----------------------------------------------
_EMOJI = archives.Archive(
    package="emoji",
    release="2.16.0",
    kind="wheel",
    sha256="c4230d80640def9071599ff56b1b5950fe13a2a94c0da98c5deab12431b24330",
    members=_EMOJI_MEMBERS,
    convert=convert,
    source="English-French single words: CLDR names (Babel), emoji CLDR short names (emoji 2.16.0 wheel), "
    "numerals (num2words)",
    licence="Unicode-3.0 (CLDR); BSD-3-Clause (emoji); num2words (LGPL-2.1), a library: its words carry none",
    citation="Unicode CLDR (cldr.unicode.org) via Babel; emoji by Taehoon Kim & Kevin Wurster; "
    "num2words by Savoir-faire Linux",
)

ASSETS = (
    assets.Asset(
        "dictionary_en_fr",
        "English-French word pairs with their source (CLDR names, emoji names, numerals)",
        {"tiny": _EMOJI, "small": _EMOJI, "full": _EMOJI},
        read_pairs,
    ),
)
