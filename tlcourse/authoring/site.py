"""The course as a website: execute ``lessons/`` in ``tiny``, then build ``_build/site`` (Sphinx + myst-nb).

``python -m tlcourse build-site`` runs :func:`build`. The lessons run two at a time with a fresh asset cache
(a cell error fails the build, naming the lesson and cell); the executed copies get a note on how their
numbers were made, lose their badge images and widget state (both would load from other servers) and live
only in a staging folder that is removed afterwards. The page sources and ``conf.py`` are ``site_source/``.
"""

from __future__ import annotations

import concurrent.futures
import copy
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from tlcourse import env

SOURCE = Path(__file__).resolve().parent / "site_source"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# A Markdown badge [![alt](image)](link): "Open In Colab", "Binder" (the theme's launch menu links both).
_BADGE = re.compile(r"\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)\s*")
CELL_TIMEOUT_S = 900  # the slowest tiny cell takes about a minute on 2 cores; a hung kernel still ends


class SiteBuildError(RuntimeError):
    """A lesson failed to execute or Sphinx reported a problem; the message says which and where."""


def select(root: Path, lessons: list[str] | None = None) -> list[Path]:
    """The ``lessons/`` notebooks to put on the site, in order: all of them, or those whose names start with
    one of ``lessons`` (e.g. ``["00", "03"]``)."""
    found = sorted((Path(root) / "lessons").glob("[0-9][0-9]_*.ipynb"))
    if not lessons:
        return found
    chosen = [path for path in found if any(path.stem.startswith(prefix) for prefix in lessons)]
    unknown = [prefix for prefix in lessons if not any(p.stem.startswith(prefix) for p in found)]
    if unknown:
        names = ", ".join(path.stem for path in found)
        raise SiteBuildError(f"No lesson matches {', '.join(unknown)}: pass a number or name among {names}.")
    return chosen


def drop_badges(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without the Colab/Binder badge images of the title cell (they load from those sites)."""
    notebook = copy.deepcopy(notebook)
    first = notebook.cells[0]
    if first.cell_type == "markdown":
        first.source = re.sub(r"\n{3,}", "\n\n", _BADGE.sub("", first.source)).strip()
    return notebook


def strip_widgets(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without ipywidgets state or widget outputs (progress bars): with them myst-nb would load
    require.js and the widget manager from CDNs."""
    notebook = copy.deepcopy(notebook)
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [out for out in cell.outputs if WIDGET_VIEW not in out.get("data", {})]
    return notebook


def provenance_note(cpus: int, when: datetime.date) -> nbformat.NotebookNode:
    """The Markdown cell each lesson page opens with: where its numbers come from."""
    text = (
        f"The outputs on this page come from running this lesson in the `tiny` profile on a {cpus}-core CPU "
        f"({when.isoformat()}, `python -m tlcourse build-site`): small data and small models, so only large "
        "effects show. Your numbers will differ a little on another machine and a lot in the `small` and "
        "`full` profiles. Launch the lesson from the rocket menu above (Colab, Binder)."
    )
    return nbformat.v4.new_markdown_cell(f"```{{note}}\n{text}\n```")


def _kernel_env(cache: Path) -> dict[str, str]:
    """The kernel's environment: the tiny profile, this build's cache, one thread per kernel."""
    variables = dict(os.environ)
    variables.update(
        TLCOURSE_PROFILE="tiny",
        TLCOURSE_CACHE=str(cache),
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        TOKENIZERS_PARALLELISM="false",
        MPLBACKEND="module://matplotlib_inline.backend_inline",
    )
    return variables


def execute(path: Path, *, cache: Path) -> nbformat.NotebookNode:
    """``path`` executed top to bottom in its own kernel, working directory its folder (as nbval runs it).

    Raises :class:`SiteBuildError` naming the lesson and the failing cell."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute(env=_kernel_env(cache))
    except CellExecutionError as error:
        raise SiteBuildError(f"{path.name} failed while building the site:\n{error}") from None
    return notebook


def map_figure(out: Path) -> Path:
    """Lesson 00's taxonomy figure, drawn by the package, as the index page's map of the course."""
    from matplotlib.figure import Figure

    from tlcourse import taxonomy

    figure = Figure(figsize=(11, 5.2))
    taxonomy.draw(figure.subplots())
    figure.savefig(out, dpi=110, bbox_inches="tight")
    return out


def build(
    root: Path,
    out: Path,
    *,
    lessons: list[str] | None = None,
    jobs: int = 2,
    cache: Path | None = None,
    keep_source: bool = False,
) -> dict:
    """Execute the chosen lessons ``jobs`` at a time and build the site into ``out``; returns a summary
    (``pages``, ``seconds_execute``, ``seconds_sphinx``, ``megabytes``).

    ``cache`` defaults to a fresh temporary asset cache (removed afterwards), so every tiny asset is built
    from nothing, as in the test command."""
    import importlib.util
    import time

    root, out = Path(root).resolve(), Path(out).resolve()
    chosen = select(root, lessons)
    missing = [
        name for name in ("sphinx", "myst_nb", "sphinx_book_theme") if not importlib.util.find_spec(name)
    ]
    if missing:  # checked before minutes of execution, not after
        raise SiteBuildError(
            f"{', '.join(missing)} missing: install the site extra (`pip install -e '.[site]'` in the "
            "checkout)."
        )
    if jobs < 1:
        raise SiteBuildError(f"jobs must be at least 1 (lessons executed at once), not {jobs}.")
    staging = out.parent / f"{out.name}-source"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(SOURCE, staging, ignore=shutil.ignore_patterns("__pycache__"))
    (staging / "lessons").mkdir()
    fresh = None if cache is not None else Path(tempfile.mkdtemp(prefix="tlcourse-site-cache-"))
    started = time.perf_counter()
    try:
        map_figure(staging / "map.png")
        note = provenance_note(env.available_cpus(), datetime.date.today())
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            runs = {path: pool.submit(execute, path, cache=cache or fresh) for path in chosen}
            try:
                for path, run in runs.items():
                    page = strip_widgets(drop_badges(run.result()))
                    page.cells.insert(1, note)
                    nbformat.write(page, staging / "lessons" / path.name)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)  # lessons not yet started never start
                raise
        executed = time.perf_counter() - started
        shutil.rmtree(out, ignore_errors=True)
        command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-E", "-b", "html"]
        command += ["-d", str(staging / "_doctrees"), str(staging), str(out)]
        # conf.py imports tlcourse: this checkout's, first
        pythonpath = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
        variables = {**os.environ, "PYTHONPATH": pythonpath}
        sphinx = subprocess.run(command, capture_output=True, text=True, env=variables)
        if sphinx.returncode != 0:
            raise SiteBuildError(f"Sphinx failed (every warning is an error):\n{sphinx.stderr.strip()}")
    finally:
        if fresh is not None:
            shutil.rmtree(fresh, ignore_errors=True)
        if not keep_source:
            shutil.rmtree(staging, ignore_errors=True)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    return {
        "lessons": [path.stem for path in chosen],
        "pages": len([p for p in out.rglob("*.html") if p.name not in {"genindex.html", "search.html"}]),
        "seconds_execute": round(executed, 1),
        "seconds_sphinx": round(time.perf_counter() - started - executed, 1),
        "megabytes": round(size / 1e6, 1),
        "out": str(out),
    }
