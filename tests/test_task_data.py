"""tlcourse.task_data: language identification from aligned pairs, and the task table."""

from __future__ import annotations

import pytest

from tlcourse import task_data

PAIRS = {
    "fr-fr": [(f"file {i}", f"fichier {i}") for i in range(10)] + [("file 0", "fichier 0")],
    "de-de": [(f"file {i}", f"Datei {i}") for i in range(6)],
}


def test_language_id_draws_distinct_strings_per_language():
    data = task_data.language_id(PAIRS, per_language=5, seed=0)
    assert data["names"] == ["en", "fr-fr", "de-de"]
    assert data["label"] == [0] * 5 + [1] * 5 + [2] * 5
    assert all(t.startswith("file") for t in data["text"][:5])
    assert all(t.startswith("Datei") for t in data["text"][10:])
    assert len(set(data["text"])) == 15
    assert data == task_data.language_id(PAIRS, per_language=5, seed=0)


def test_language_id_says_how_many_strings_there_are():
    with pytest.raises(ValueError, match="per_language <= 6"):
        task_data.language_id(PAIRS, per_language=7, seed=0)


def test_table_lists_sizes_and_balance():
    text = task_data.table({"sentiment": ["a b", "c", "d e f", "g"]}, {"sentiment": [0, 0, 0, 1]})
    assert text.splitlines()[1].split() == ["sentiment", "4", "2", "0.75", "1.8"]
