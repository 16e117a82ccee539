"""The lesson catalogue: each lesson's title, what it uses per profile, its measured time, its links.

``build-lessons`` writes it into the README between two marker comments, so the table never drifts
from the notebooks, the registry, the benchmark table or the repository's address (``project``).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from tlcourse import archives, assets, project

BEGIN = "<!-- lessons:begin (written by `python -m tlcourse build-lessons`; do not edit by hand) -->"
END = "<!-- lessons:end -->"
BINDER_MB = 2048  # Binder stops a session above 2 GB


def title(notebook_path: Path) -> str:
    """The lesson's title: its first Markdown line without ``#`` and number, e.g. ``The map of transfer
    learning``."""
    first = nbformat.read(notebook_path, as_version=4).cells[0].source.splitlines()[0]
    return re.sub(r"^#\s*\d+\s*[·.:-]?\s*", "", first).strip()


def table_rows(path: Path) -> list[list[str]]:
    """The stripped cells of every row of the Markdown tables in ``path`` (none if it does not exist)."""
    path = Path(path)
    if not path.exists():
        return []
    return [
        [c.strip() for c in line.split("|")[1:-1]]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("|")
    ]


def measured_seconds(root: Path) -> dict[str, float]:
    """Wall seconds of each ``lessons/`` notebook from the committed benchmark table."""
    times = {}
    for cells in table_rows(Path(root) / "benchmarks" / "notebooks.md"):
        if len(cells) >= 2 and cells[0].startswith("lessons/"):
            try:
                times[Path(cells[0]).stem] = float(cells[1])
            except ValueError:
                pass
    return times


def small_estimates(root: Path) -> dict[str, str]:
    """Each estimated lesson's ``small`` label from ``benchmarks/small_memory.md`` (stand-in runs): time and
    peak,
    or that it went over Binder's cap."""
    estimates = {}
    for cells in table_rows(Path(root) / "benchmarks" / "small_memory.md"):
        if len(cells) < 3 or not cells[0].endswith(".ipynb"):
            continue
        seconds = re.search(r"(\d+) s on this CPU", cells[2])
        if "OVER" in cells[2] or (cells[1] and float(cells[1]) >= BINDER_MB):
            estimates[Path(cells[0]).stem] = " (over Binder's 2 GB by estimate: `benchmarks/small_memory.md`)"
        elif seconds and cells[1]:
            estimates[Path(cells[0]).stem] = f" (~{float(seconds.group(1)):.0f} s, ~{float(cells[1]):.0f} MB)"
    return estimates


def uses(lesson: str, profile: str) -> str:
    """What the lesson uses in ``profile``: hub ids, or the bundled assets' names."""
    labels = []
    for name in assets.LESSONS.get(lesson, ()):
        spec = assets.variant(name, profile)
        if isinstance(spec, assets.Hub):
            labels.append(f"`{spec.repo_id}`")
        elif isinstance(spec, archives.Archive):
            labels.append(f"`{spec.requirement}` (package index)")
        else:
            labels.append(f"{name} (bundled)")
    return ", ".join(labels) or "nothing to download"


def table(root: Path) -> str:
    """The Markdown table of every lesson in ``solutions/``."""
    times, small = measured_seconds(root), small_estimates(root)
    lines = [
        "| # | lesson | `tiny` uses (time on 2 CPU cores) | `small` uses (estimated time and peak memory) "
        "| `full` uses (Colab with a GPU; not yet timed on one) | open |",
        "|---|---|---|---|---|---|",
    ]
    for path in sorted((Path(root) / "solutions").glob("*.ipynb")):
        lesson, number = path.stem, path.stem[:2]
        notebook = f"lessons/{path.name}"
        seconds = times.get(lesson)
        timing = f" ({seconds:.0f} s)" if seconds is not None else " (not yet measured)"
        estimate = small.get(lesson, " (not yet estimated)")
        lines.append(
            f"| {number} | [{title(path)}]({notebook}) | {uses(lesson, 'tiny')}{timing} | "
            f"{uses(lesson, 'small')}{estimate} | "
            f"{uses(lesson, 'full')} | {project.badges(notebook)} |"
        )
    return "\n".join(lines)


def update_readme(root: Path, *, check: bool = False) -> bool:
    """Rewrite the README's lesson table; returns whether it changed (with ``check``, change nothing)."""
    readme = Path(root) / "README.md"
    text = readme.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise ValueError(f"{readme} lacks the lesson-table markers {BEGIN!r} and {END!r}.")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n{table(root)}\n{END}{tail}"
    if new == text:
        return False
    if not check:
        readme.write_text(new, encoding="utf-8")
    return True
