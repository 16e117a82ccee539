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
            assert name in rows, f"benchmarks/notebooks.md has no row for {name}: run benchmarks/notebooks.py"
            seconds, megabytes = float(rows[name][1]), float(rows[name][2])
            assert seconds > 0 and megabytes > 0
