"""The bundled text of the ``tiny`` profile: what gensim's wheel ships, turned into course assets.

Each ``build_*`` function writes one asset into an empty folder (the cache calls it); each ``load_*``
reads it back. Lesson 00 uses the movie-review sentences; later lessons the rest. The texts carry no
licence of their own; the Wikipedia text is CC BY-SA 4.0.
"""

from __future__ import annotations

import bz2
import csv
import re
import shutil
from pathlib import Path

import numpy

from tlcourse import folds

WIKI_DUMP = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
POLARITY_FILE = "pang_lee_polarity.cor"
POLARITY_ENCODING = "cp1252"  # the file is not UTF-8: "clichés" is byte 0xE9
LEE_FILES = ("lee_background.cor", "lee.cor", "similarities0-1.txt")
WORD_EVAL_FILES = ("wordsim353.tsv", "simlex999.txt", "questions-words.txt")
LABEL_NAMES = ("negative", "positive")

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_MARKUP_LEFTOVERS = re.compile(r"'{2,}|\[\[|\]\]|\{\{|\}\}")


def gensim_data(name: str) -> Path:
    """The path of a file under gensim's ``test_data``, with a clear error if gensim lacks it."""
    from gensim.test.utils import datapath

    path = Path(datapath(name))
    if not path.exists():
        raise FileNotFoundError(
            f"gensim's wheel should ship {name} under gensim/test/test_data, but {path} is missing. "
            "Reinstall gensim (`pip install --force-reinstall gensim`)."
        )
    return path


# --- Wikipedia ---------------------------------------------------------------------------------


def wiki_articles() -> list[tuple[str, str]]:
    """``(title, plain text)`` of each article in gensim's shortened English Wikipedia dump."""
    from gensim.corpora import wikicorpus

    articles = []
    with bz2.open(gensim_data(WIKI_DUMP), "rb") as handle:
        for title, markup, _page_id in wikicorpus.extract_pages(handle, filter_namespaces=("0",)):
            if markup.lstrip().lower().startswith("#redirect"):
                continue
            articles.append((title, wikicorpus.filter_wiki(markup)))
    return articles


def split_sentences(text: str, *, min_words: int = 5) -> list[str]:
    """Sentences of plain wiki text: headings, lists and table leftovers dropped, one line each."""
    sentences = []
    for paragraph in text.split("\n"):
        paragraph = _MARKUP_LEFTOVERS.sub("", paragraph).strip()
        if not paragraph or paragraph.startswith(("=", "*", "#", "|", "!", ":", ";")):
            continue
        for sentence in _SENTENCE_END.split(paragraph):
            sentence = " ".join(sentence.split())
            if len(sentence.split()) >= min_words and sentence[-1] in ".!?\"')":
                sentences.append(sentence)
    return sentences


def build_wiki(folder: Path) -> None:
    """Write ``sentences.txt`` (one sentence a line) and ``titles.txt`` from the bundled dump."""
    titles, sentences = [], []
    for title, text in wiki_articles():
        titles.append(title)
        sentences.extend(split_sentences(text))
    (folder / "sentences.txt").write_text("\n".join(sentences) + "\n", encoding="utf-8")
    (folder / "titles.txt").write_text("\n".join(titles) + "\n", encoding="utf-8")
    (folder / "LICENSE.txt").write_text(
        "Text from English Wikipedia (a shortened 2017 dump shipped in gensim's test data), "
        "CC BY-SA 4.0: https://creativecommons.org/licenses/by-sa/4.0/\n",
        encoding="utf-8",
    )


def load_wiki(folder: Path) -> list[str]:
    """The Wikipedia sentences, one string each."""
    return (Path(folder) / "sentences.txt").read_text(encoding="utf-8").splitlines()


# --- Lee news corpus and its human similarity judgements ---------------------------------------


def build_lee(folder: Path) -> None:
    """Copy the Lee news corpus (300 background documents, 50 rated documents, 50x50 ratings)."""
    for name in LEE_FILES:
        shutil.copyfile(gensim_data(name), folder / name)


def load_lee(folder: Path, *, part: str = "background") -> list[str]:
    """Documents of the Lee corpus: ``part="background"`` (300) or ``"rated"`` (the 50 judged by people)."""
    name = {"background": "lee_background.cor", "rated": "lee.cor"}.get(part)
    if name is None:
        raise ValueError(f"part must be 'background' or 'rated', not {part!r}.")
    text = (Path(folder) / name).read_text(encoding="latin-1")
    return [line.strip() for line in text.splitlines() if line.strip()]


def load_lee_similarities(folder: Path) -> numpy.ndarray:
    """The 50x50 matrix of mean human similarity ratings (0 to 1) between the rated documents."""
    return numpy.loadtxt(Path(folder) / "similarities0-1.txt")


# --- Movie-review sentences with fixed folds ----------------------------------------------------


def read_polarity(path: Path | None = None) -> tuple[list[str], list[int]]:
    """Texts and labels (0 negative, 1 positive) of the 200 bundled movie-review sentences."""
    raw = Path(path or gensim_data(POLARITY_FILE)).read_bytes().decode(POLARITY_ENCODING)
    texts, labels = [], []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        tag, _, text = line.partition(" ")
        if tag not in ("__label__neg", "__label__pos"):
            raise ValueError(f"{POLARITY_FILE} line {number}: expected a fastText label, found {tag!r}.")
        texts.append(text.strip())
        labels.append(int(tag == "__label__pos"))
    return texts, labels


def build_movie_reviews(folder: Path) -> None:
    """Save the 200 sentences as a ``datasets.Dataset`` (text, label, folds) in ``folder``."""
    import datasets

    texts, labels = read_polarity()
    features = datasets.Features(
        {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=list(LABEL_NAMES))}
    )
    dataset = datasets.Dataset.from_dict({"text": texts, "label": labels}, features=features)
    folds.with_folds(dataset).save_to_disk(str(folder / "dataset"))


def load_movie_reviews(folder: Path):
    """The movie-review sentences as a ``datasets.Dataset`` with columns ``text``, ``label``, ``folds``."""
    import datasets

    return datasets.load_from_disk(str(Path(folder) / "dataset"))


# --- Word similarity and analogy sets ------------------------------------------------------------


def build_word_eval(folder: Path) -> None:
    """Copy WordSim-353, SimLex-999 and the Google analogy questions."""
    for name in WORD_EVAL_FILES:
        shutil.copyfile(gensim_data(name), folder / name)


def load_word_pairs(folder: Path, name: str) -> list[tuple[str, str, float]]:
    """``(word1, word2, human score)`` of ``"wordsim353"`` or ``"simlex999"``."""
    files = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}
    if name not in files:
        raise ValueError(f"name must be one of {sorted(files)}, not {name!r}.")
    pairs = []
    with open(Path(folder) / files[name], encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if row and not row[0].startswith("#"):
                pairs.append((row[0].lower(), row[1].lower(), float(row[2])))
    return pairs
