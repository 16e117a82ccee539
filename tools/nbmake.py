"""Write a solutions notebook from a compact cell list (maintainers' tool; learners never need it).

Usage inside a generator script::

    from tools.nbmake import md, code, write
    write("solutions/00_map_of_transfer.ipynb", [md("# Title"), code("x = 1"), ...])

Then run ``python -m tlcourse build-lessons`` to normalise it and write ``lessons/``.
"""

from __future__ import annotations

import hashlib
import textwrap

import nbformat


def _id(kind: str, source: str, index: int) -> str:
    return hashlib.sha1(f"{index}:{kind}:{source}".encode()).hexdigest()[:8]


def md(source: str) -> tuple[str, str, list[str]]:
    return ("markdown", textwrap.dedent(source).strip("\n"), [])


def code(source: str, *tags: str) -> tuple[str, str, list[str]]:
    return ("code", textwrap.dedent(source).strip("\n"), list(tags))


def write(path: str, cells) -> None:
    notebook = nbformat.v4.new_notebook()
    for index, (kind, source, tags) in enumerate(cells):
        cell = nbformat.v4.new_markdown_cell(source) if kind == "markdown" else nbformat.v4.new_code_cell(source)
        cell.id = _id(kind, source, index)
        if tags:
            cell.metadata["tags"] = tags
        notebook.cells.append(cell)
    notebook.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}}
    nbformat.write(notebook, path)
