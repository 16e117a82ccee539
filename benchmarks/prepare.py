"""Benchmark: what a full ``tiny`` prepare costs on a fresh cache, time and size per asset, as a table.

    .venv/bin/python -m benchmarks.prepare              # writes benchmarks/prepare.md

Runs ``python -m tlcourse prepare --profile tiny --asset NAME`` for every asset, one after the other, in
a new empty ``TLCOURSE_CACHE`` and with pip's own cache switched off (``PIP_NO_CACHE_DIR=1``), so every
package-index archive is really downloaded, as on a fresh machine. Each row's time includes starting
Python and importing the package (a few seconds). This is a benchmark, not a test: nothing is asserted.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import notebooks as bench  # (commit and machine lines)

ROOT = bench.ROOT
TABLE = ROOT / "benchmarks" / "prepare.md"


def asset_names() -> list[tuple[str, str]]:
    """``(name, how)`` of every asset in the tiny profile (how: built, or a package-index archive)."""
    from tlcourse import archives, assets

    rows = []
    for name in sorted(assets.registry()):
        spec = assets.variant(name, "tiny")
        how = f"pip: {spec.requirement} ({spec.kind})" if isinstance(spec, archives.Archive) else "built here"
        rows.append((name, how))
    return rows


def folder_megabytes(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory(prefix="tlcourse-prepare-") as cache:
        env = dict(os.environ, TLCOURSE_CACHE=cache, TLCOURSE_PROFILE="tiny", PIP_NO_CACHE_DIR="1")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
        total_start = time.perf_counter()
        for name, how in asset_names():
            before = set(Path(cache).iterdir())
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "tlcourse", "prepare", "--profile", "tiny", "--asset", name],
                capture_output=True, text=True, env=env, check=False,
            )  # fmt: skip
            seconds = time.perf_counter() - start
            new = [p for p in set(Path(cache).iterdir()) - before if not p.name.startswith(".")]
            size = sum(folder_megabytes(p) for p in new)
            last = (done.stderr.strip().splitlines() or ["?"])[-1]
            status = "ok" if done.returncode == 0 else f"failed: {last}"
            rows.append((name, how, seconds, size, status))
            print(f"{name:<20} {seconds:7.1f} s {size:8.1f} MB  {status}", flush=True)
        total = time.perf_counter() - total_start
        whole = folder_megabytes(Path(cache))
    load = os.getloadavg()
    lines = [
        "# Prepare benchmark (tiny profile, fresh cache)",
        "",
        f"- commit: {bench.commit()}",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {bench.machine()}",
        f"- load: 1-minute load average {load[0]:.1f} at the end (a shared machine: times are upper bounds)",
        (
            "- how: `.venv/bin/python benchmarks/prepare.py` (one `prepare --asset` per asset into an empty "
            "TLCOURSE_CACHE, pip's cache off; archives come from wherever this machine's pip configuration "
            "points)"
        ),
        (
            "- note: a row's time includes starting Python and importing the package; an asset built from "
            "another builds that one first, and its folder is counted in the row that caused it"
        ),
        "",
        "| asset | from | wall s | MB in cache | status |",
        "|---|---|---:|---:|---|",
        *[f"| {name} | {how} | {secs:.1f} | {mb:.1f} | {status} |" for name, how, secs, mb, status in rows],
        f"| **all** | | **{total:.1f}** | **{whole:.1f}** | |",
        "",
    ]
    TABLE.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {TABLE.relative_to(ROOT)}: {total:.1f} s, {whole:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
