"""Benchmark: wall time and peak memory of every notebook, in the tiny profile, as a committed table.

    .venv/bin/python -m benchmarks.notebooks            # every notebook in lessons/ and solutions/
    .venv/bin/python -m benchmarks.notebooks --only 00  # notebooks whose name starts with 00
    .venv/bin/python -m benchmarks.notebooks --test-command  # also time `bash setup.sh test` in a fresh clone

Assets are prepared first (their build time is its own row), so each notebook is timed on a warm cache,
as a learner's second lesson would be. Peak memory is the largest resident set of the kernel process
and its children, sampled every 50 ms. Writes benchmarks/notebooks.md. This is a benchmark, not a test:
targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "benchmarks" / "notebooks.md"
#: Budgets from the issues, per lesson number: (seconds, megabytes).
TARGETS = {"00": (45, 1536), "01": (90, 1536), "02": (90, 1536), "03": (90, 1536), "04": (150, 1536), "05": (240, 1536), "06": (120, 1536)}


def commit() -> str:
    """The checked-out commit, marked when the lessons or the package have uncommitted changes."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "lessons", "solutions", "tlcourse"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    return f"{head or 'unknown'}{' (with uncommitted changes)' if dirty else ''}"


def machine() -> str:
    """A one-line description of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import psutil

    memory = psutil.virtual_memory().total / 2**30
    return f"{cpu}, {len(os.sched_getaffinity(0))} cores available, {memory:.0f} GiB RAM, Python {platform.python_version()}"


class PeakMemory:
    """Samples the resident memory of a process tree in a thread; ``peak`` is in bytes."""

    def __init__(self, pid: int, every: float = 0.05):
        import psutil

        self.process = psutil.Process(pid)
        self.every, self.peak = every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                tree = [self.process, *self.process.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            self._stop.wait(self.every)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_notebook(path: Path, *, cell_peaks: list | None = None) -> tuple[float, float, str]:
    """Execute one notebook in a fresh kernel: ``(wall seconds, peak MB, "ok" or the error)``.

    With ``cell_peaks``, append ``(cell index, peak MB so far)`` after each cell, to find where it peaks.
    """
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        with PeakMemory(pid) as memory:
            try:
                for index, cell in enumerate(notebook.cells):
                    client.execute_cell(cell, index)
                    if cell_peaks is not None:
                        cell_peaks.append((index, memory.peak / 2**20))
                status = "ok"
            except nbclient.exceptions.CellExecutionError as error:
                status = f"error: {str(error).strip().splitlines()[-1][:80]}"
    return time.perf_counter() - start, memory.peak / 2**20, status


def time_test_command() -> tuple[float, int]:
    """Seconds and exit status of `bash setup.sh test` in a fresh clone of this checkout's HEAD."""
    with tempfile.TemporaryDirectory() as scratch:
        clone = Path(scratch) / "clone"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        start = time.perf_counter()
        status = subprocess.call(["bash", "setup.sh", "test", "-q"], cwd=clone)
        return time.perf_counter() - start, status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="only notebooks whose file name starts with this")
    parser.add_argument("--test-command", action="store_true", help="also time the README's test command in a fresh clone")
    args = parser.parse_args()

    os.environ.setdefault("TLCOURSE_PROFILE", "tiny")
    os.environ.setdefault("CI", "true")  # quiet progress bars, as in CI
    scratch = tempfile.mkdtemp(prefix="tlcourse-bench-cache-")
    os.environ["TLCOURSE_CACHE"] = scratch
    rows = []
    try:
        notebooks = sorted((ROOT / "lessons").glob(f"{args.only}*.ipynb")) + sorted((ROOT / "solutions").glob(f"{args.only}*.ipynb"))
        from tlcourse import assets

        needed = sorted({name for path in notebooks for name in assets.LESSONS.get(path.stem, ())})
        start = time.perf_counter()
        command = [sys.executable, "-m", "tlcourse", "prepare", "--profile", "tiny"]
        subprocess.run(command + [arg for name in needed for arg in ("--asset", name)], check=True, capture_output=True)
        rows.append((f"prepare --profile tiny: {', '.join(needed)} (fresh cache)", time.perf_counter() - start, None, "ok", ""))
        for path in notebooks:
            seconds, megabytes, status = run_notebook(path)
            budget = TARGETS.get(path.name[:2])
            verdict = ""
            if budget:
                misses = [f"{seconds:.0f} s > {budget[0]} s"] * (seconds > budget[0]) + [f"{megabytes:.0f} MB > {budget[1]} MB"] * (megabytes > budget[1])
                verdict = "MISS: " + "; ".join(misses) if misses else f"within {budget[0]} s / {budget[1] / 1024:.1f} GB"
            name = f"{path.parent.name}/{path.name}"
            print(f"{name:<50} {seconds:7.1f} s {megabytes:8.0f} MB  {status}  {verdict}", flush=True)
            rows.append((name, seconds, megabytes, status, verdict))
        if args.test_command:
            seconds, status = time_test_command()
            rows.append(("bash setup.sh test (fresh clone, install included)", seconds, None, "ok" if status == 0 else f"exit {status}", "target 1800 s"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    lines = [
        "# Notebook benchmark (tiny profile)",
        "",
        f"- commit: {commit()}",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine()}",
        "- how: `.venv/bin/python -m benchmarks.notebooks` (assets prepared first; each notebook in a fresh kernel on the warm cache; peak = kernel resident memory)",
        "",
        "| what | wall s | peak MB | status | against the target |",
        "|---|---:|---:|---|---|",
    ]
    previous = _previous_rows() if args.only else {}
    measured = {row[0] for row in rows}
    previous = {name: line for name, line in previous.items() if not name.startswith("prepare")}
    lines += [line for name, line in previous.items() if name not in measured]
    for name, seconds, megabytes, status, verdict in rows:
        lines.append(f"| {name} | {seconds:.1f} | {'' if megabytes is None else f'{megabytes:.0f}'} | {status} | {verdict} |")
    TABLE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {TABLE.relative_to(ROOT)}")
    return 0 if all(row[3] == "ok" for row in rows) else 1


def _previous_rows() -> dict[str, str]:
    """Rows of the existing table (kept when only some notebooks are re-run)."""
    if not TABLE.exists():
        return {}
    rows = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("| ") and not line.startswith("| what") and not line.startswith("|---"):
            rows[line.split("|")[1].strip()] = line
    return rows


if __name__ == "__main__":
    sys.exit(main())
