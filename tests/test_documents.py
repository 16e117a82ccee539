"""Articles split by article: the vocabulary comes from training articles only."""

from __future__ import annotations

import pytest

from tlcourse import documents


def _docs(n):
    return [(f"title {i}", f"word{i} common words here , again .".split()) for i in range(n)]


def test_words_lowercases_and_keeps_punctuation():
    assert documents.words("The cat's 3 hats, gone.") == ["the", "cat's", "3", "hats", ",", "gone", "."]


def test_split_takes_test_from_the_end_and_unknown_words_become_unk():
    split = documents.split(_docs(25), n_dev=3, n_test=4, min_count=2)
    assert split.titles["test"] == [f"title {i}" for i in range(21, 25)]
    assert split.titles["dev"] == [f"title {i}" for i in range(18, 21)]
    assert split.vocab[0] == documents.UNK
    assert "word0" not in split.vocab and "common" in split.vocab  # seen once vs in every article
    assert split.decode(split.test[0][:2]) == [documents.UNK, "common"]


def test_split_refuses_too_few_articles():
    with pytest.raises(ValueError, match="lower n_dev or n_test"):
        documents.split(_docs(5))


def test_lesson_declares_its_assets():
    from tlcourse import assets

    assets.require_lesson("10_beyond_next_word", profile="tiny")
    for name in assets.LESSONS["10_beyond_next_word"]:
        assets.get(name)
