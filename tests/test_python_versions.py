"""The package stays valid Python on 3.10 (our floor) and 3.13 (Colab's): compiled by those interpreters."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess

import pytest
from conftest import ROOT

COMPILE_ALL = """
import pathlib, sys
bad = []
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.py")):
    try:
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    except SyntaxError as error:
        bad.append(f"{path}:{error.lineno}: {error.msg}")
print("\\n".join(bad) or "ok")
sys.exit(1 if bad else 0)
"""


def _interpreter(version: str) -> str | None:
    candidates = [shutil.which(f"python{version}")]
    roots = [os.environ.get("PYENV_ROOT", ""), os.path.expanduser("~/.pyenv")]
    for root in filter(None, roots):
        candidates += sorted(
            glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", f"python{version}"))
        )
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", "pass"], capture_output=True).returncode == 0:
            return candidate
    return None


@pytest.mark.parametrize("version", ["3.10", "3.13"])
def test_package_compiles(version):
    interpreter = _interpreter(version)
    if interpreter is None:
        pytest.skip(f"no Python {version} on this machine")
    result = subprocess.run(
        [interpreter, "-c", COMPILE_ALL, str(ROOT / "tlcourse")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
