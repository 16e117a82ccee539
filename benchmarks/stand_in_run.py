"""Run lessons in the `small` or `full` profile on stand-ins, on whatever device `env.setup` picks (a GPU
where
there is one), and print a table: status, time, peak GPU memory and the slowest cell of each lesson.

    python -m benchmarks.stand_in_run --profile full --only 05        # e.g. on a machine with a GPU
    python -m benchmarks.stand_in_run --profile small --out table.md

Colab with a GPU gets the `full` profile, and no machine that builds this course reaches the hub: this runs
the lessons' real code on the real architectures and data sizes of a profile, with random weights and
synthetic rows in the hub's cache layout (the stand-ins of ``small_memory.py``), so device handling and the
code path are checked where the hub is out of reach. Accuracies mean nothing here; times are this machine's.
Cells run in one plain Python process per lesson (no Jupyter needed), in order, as a kernel would run them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from benchmarks import notebooks as bench
from benchmarks import small_memory

ROOT = bench.ROOT


def run_cells(notebook: Path) -> dict:
    """Execute the notebook's code cells in one namespace, in its folder: status, seconds, slowest cell."""
    import matplotlib

    matplotlib.use("Agg")
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    namespace: dict = {"__name__": "__main__"}
    timings, status, started = [], "ok", time.perf_counter()
    here = os.getcwd()
    os.chdir(notebook.parent)
    try:
        for index, cell in enumerate(cells):
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            began = time.perf_counter()
            try:
                exec(compile(source, f"{notebook.name}[{index}]", "exec"), namespace)
            except Exception as error:  # noqa: BLE001  (the table reports it)
                traceback.print_exc()
                first = str(error).splitlines()[0][:120] if str(error) else ""
                status = f"error in cell {index}: {type(error).__name__}: {first}"
                break
            finally:
                timings.append((time.perf_counter() - began, index))
                print(f"{notebook.name} cell {index}: {timings[-1][0]:.1f} s", file=sys.stderr, flush=True)
    finally:
        os.chdir(here)
    seconds, slowest = max(timings, default=(0.0, -1))
    result = {
        "status": status,
        "seconds": time.perf_counter() - started,
        "slowest": f"cell {slowest} ({seconds:.0f} s)",
    }
    try:
        import torch

        if torch.cuda.is_available():
            result["device"] = torch.cuda.get_device_name()
            result["gpu_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    except ImportError:
        pass
    environment = namespace.get("ENV")
    result["profile"], result["device_used"] = (
        getattr(environment, "profile", "?"),
        getattr(environment, "device", "?"),
    )
    return result


def run_lesson(notebook: Path, profile: str) -> dict:
    """One lesson in a fresh process, on a fresh cache holding the profile's stand-ins."""
    missing = small_memory.missing_stand_ins(notebook.stem, profile)
    if missing:
        return {"status": f"not run: no stand-in for {', '.join(missing)}"}
    scratch = Path(tempfile.mkdtemp(prefix=f"tlcourse-{profile}-"))
    try:
        environment = os.environ | small_memory.stand_in_environment(notebook.stem, profile, scratch)
        environment |= {
            "MPLBACKEND": "Agg",
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        # stdout carries the result; the cells' progress and any traceback stream to this process's stderr
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.stand_in_run", "--one", str(notebook)],
            env=environment,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        if out.returncode or not lines:
            return {"status": f"crashed (exit {out.returncode}); see the log above"}
        return json.loads(lines[-1])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=("small", "full"), default="full")
    parser.add_argument("--only", default="", help="lessons whose file name starts with this")
    parser.add_argument("--out", help="also write the table to this file")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child process: run one notebook, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_cells(Path(args.one))))
        return 0
    lines = [
        f"Lessons in the `{args.profile}` profile on STAND-INS (random weights, synthetic rows; accuracies "
        f"meaningless).",
        f"commit: {bench.commit()}; machine: {bench.machine()}",
        "",
        "| lesson | status | seconds | device | peak GPU MB | slowest cell |",
        "|---|---|---:|---|---:|---|",
    ]
    for notebook in sorted((ROOT / "lessons").glob(f"{args.only}*.ipynb")):
        result = run_lesson(notebook, args.profile)
        gpu = result.get("gpu_peak_mb")
        lines.append(
            f"| {notebook.name} | {result['status']} | {result.get('seconds', 0):.0f} | "
            f"{result.get('device', result.get('device_used', ''))} | {'' if gpu is None else f'{gpu:.0f}'} "
            f"| {result.get('slowest', '')} |"
        )
        print(lines[-1], flush=True)
    print("\n".join(lines))
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
