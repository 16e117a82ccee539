"""Benchmark: the course's website build (``python -m tlcourse build-site``): time, pages, size.

    .venv/bin/python -m benchmarks.site               # every lesson, two at a time, a fresh asset cache
    .venv/bin/python -m benchmarks.site --jobs 1      # one at a time (as under the test command's xdist)
    .venv/bin/python -m benchmarks.site --only 00     # lessons whose names start with 00

The asset cache is fresh, as in the test command, so asset builds are inside the execution time. Appends a
row to benchmarks/site.md (commit, date, machine). A benchmark, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime
import os
import tempfile
import time
from pathlib import Path

from benchmarks import notebooks
from tlcourse.authoring import site

TABLE = Path(__file__).resolve().parent / "site.md"
HEADER = """# Website build benchmark (tiny profile)

- how: `.venv/bin/python -m benchmarks.site` (`tlcourse.authoring.site.build` into a temporary folder with a
  fresh asset cache; execution includes building the tiny assets; Sphinx runs with `-W`). "load before" is
  the 1-minute load average when it started: above the core count, other work shared the CPUs.

| commit | date (UTC) | machine | load before | lessons | jobs | execute s | Sphinx s | total s | pages | MB |
|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", action="append", help="lessons whose names start with this (repeatable)")
    args = parser.parse_args()
    load, revision = os.getloadavg()[0], notebooks.commit()  # what ran: the commit when it started
    with tempfile.TemporaryDirectory(prefix="tlcourse-site-bench-") as folder:
        start = time.perf_counter()
        summary = site.build(notebooks.ROOT, Path(folder) / "site", lessons=args.only, jobs=args.jobs)
        total = time.perf_counter() - start
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    row = (
        f"| {revision} | {when} | {notebooks.machine()} | {load:.1f} | {len(summary['lessons'])} | "
        f"{args.jobs} | "
        f"{summary['seconds_execute']:.0f} | {summary['seconds_sphinx']:.0f} | {total:.0f} | "
        f"{summary['pages']} | {summary['megabytes']:.1f} |\n"
    )
    text = TABLE.read_text(encoding="utf-8") if TABLE.exists() else HEADER
    TABLE.write_text(text + row, encoding="utf-8")
    print(row, end="")


if __name__ == "__main__":
    main()
