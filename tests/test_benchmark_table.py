"""The committed benchmark table has a row for every notebook, with numbers in it."""

from __future__ import annotations

import re

from conftest import ROOT


def test_every_notebook_has_a_row():
    table = (ROOT / "benchmarks" / "notebooks.md").read_text(encoding="utf-8")
    assert re.search(r"^- commit: [0-9a-f]{7,}", table, re.M) and "- machine:" in table and "- date:" in table
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.split("|")[1:-1]]
        if len(cells) == 5 and cells[0].endswith(".ipynb"):
            rows[cells[0]] = cells
    for folder in ("lessons", "solutions"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            name = f"{folder}/{path.name}"
            assert name in rows, (
                f"benchmarks/notebooks.md has no row for {name}: run python -m benchmarks.notebooks"
            )
            seconds, megabytes = float(rows[name][1]), float(rows[name][2])
            assert seconds > 0 and megabytes > 0


def test_small_estimates_label_each_lesson_and_flag_any_over_binders_cap(tmp_path):
    from tlcourse.authoring import catalogue

    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "small_memory.md").write_text(
        "| lesson | estimated peak MB | notes |\n|---|---:|---|\n"
        "| 00_a.ipynb | 495 | ok; 9 s on this CPU; under the cap; commit abc1234, 2026-11-25 22:05 UTC |\n"
        "| 01_b.ipynb | 2205 | ok; 503 s on this CPU; OVER the 2048 MB cap; commit abc1234, 2026-11-26 01:48 "
        "UTC |\n"
        "| 02_c.ipynb | 2100 | ok; 300 s on this CPU; commit abc1234 |\n"
        "| 03_d.ipynb |  | not estimated: no stand-in for x/y |\n",
        encoding="utf-8",
    )
    labels = catalogue.small_estimates(tmp_path)
    assert labels["00_a"] == " (~9 s, ~495 MB)"
    assert "over Binder's 2 GB" in labels["01_b"] and "over Binder's 2 GB" in labels["02_c"]
    assert "03_d" not in labels


def test_every_lesson_has_a_small_estimate_with_the_commit_it_was_measured_at():
    table = (ROOT / "benchmarks" / "small_memory.md").read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip(): line
        for line in table.splitlines()
        if line.startswith("| ") and ".ipynb" in line
    }
    for path in sorted((ROOT / "lessons").glob("*.ipynb")):
        assert path.name in rows, (
            f"benchmarks/small_memory.md has no row for {path.name}: run python -m benchmarks.small_memory "
            f"--only {path.name[:2]}"
        )
        assert re.search(r"commit [0-9a-f]{7,}", rows[path.name]), (
            f"{path.name}'s row does not say which commit it measured"
        )
