"""Whole Wikipedia articles as word ids, split by article into train, dev and test.

Lesson 10 counts words across whole documents (a blank's neighbours, a cache of what came before), so
it keeps article boundaries that lesson 04's sentence file drops. Dev and test articles are never
counted: weights are tuned on dev, numbers reported on test.

>>> from tlcourse import documents
>>> split = documents.split(documents.wiki_documents())   # doctest: +SKIP
>>> len(split.test), split.vocab[:3]                      # doctest: +SKIP
"""

from __future__ import annotations

import collections
import dataclasses
import re

import numpy

from tlcourse import corpora

UNK = "<unk>"
WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+|[^\w\s]")


def words(text: str) -> list[str]:
    """Lower-cased words, numbers and punctuation marks of ``text``, in order."""
    return WORD.findall(text.lower())


def wiki_documents(*, min_words: int = 300) -> list[tuple[str, list[str]]]:
    """``(title, words)`` of every bundled Wikipedia article with at least ``min_words`` words (about 5 s)."""
    out = []
    for title, text in corpora.wiki_articles():
        tokens = words(" ".join(corpora.split_sentences(text)))
        if len(tokens) >= min_words:
            out.append((title, tokens))
    return out


@dataclasses.dataclass(frozen=True)
class Split:
    """Articles as arrays of word ids; ``vocab[0]`` is ``<unk>`` (any word seen under ``min_count`` times)."""

    vocab: list[str]
    train: list[numpy.ndarray]
    dev: list[numpy.ndarray]
    test: list[numpy.ndarray]
    titles: dict[str, list[str]]

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def decode(self, ids) -> list[str]:
        """The words of ``ids``."""
        return [self.vocab[int(i)] for i in ids]


def split(
    docs: list[tuple[str, list[str]]], *, n_dev: int = 10, n_test: int = 10, min_count: int = 2
) -> Split:
    """The last ``n_test`` articles for test, the ``n_dev`` before them for dev, the rest for training.

    The vocabulary comes from the training articles only, so test words it never saw become ``<unk>``.
    """
    if len(docs) < n_dev + n_test + 1:
        raise ValueError(
            f"Need more than {n_dev + n_test} articles to split, got {len(docs)}: lower n_dev or n_test."
        )
    train_docs, dev_docs, test_docs = docs[: -n_dev - n_test], docs[-n_dev - n_test : -n_test], docs[-n_test:]
    counts = collections.Counter(w for _, tokens in train_docs for w in tokens)
    vocab = [UNK] + sorted(w for w, c in counts.items() if c >= min_count)
    index = {w: i for i, w in enumerate(vocab)}

    def encode(part):
        return [numpy.array([index.get(w, 0) for w in tokens], dtype=numpy.int64) for _, tokens in part]

    titles = {
        "train": [t for t, _ in train_docs],
        "dev": [t for t, _ in dev_docs],
        "test": [t for t, _ in test_docs],
    }
    return Split(vocab, encode(train_docs), encode(dev_docs), encode(test_docs), titles)
