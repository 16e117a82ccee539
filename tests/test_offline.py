"""Offline proven, not assumed: lesson 00 runs in a network namespace with only loopback up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT, subprocess_env

RUN_LESSON = textwrap.dedent(
    """
    import socket, sys
    import nbclient, nbformat
    from tlcourse import profiles

    try:
        socket.create_connection(("pypi.org", 443), timeout=3).close()
        sys.exit("the network is NOT cut: this test proves nothing")
    except OSError:
        print("network cut: pypi.org unreachable")
    assert not profiles.hub_reachable(timeout=2)
    notebook = nbformat.read(sys.argv[1], as_version=4)
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path":
    sys.argv[2]}}).execute()
    banner = "".join(o.get("text", "") for o in notebook.cells[2].outputs)
    print(banner)
    assert "profile tiny (no model hub answered" in banner, banner
    print("lesson ran offline")
    """
)


def _namespace(*extra: str) -> list[str]:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("needs unshare(1) and ip(8) to cut the network")
    command = (
        ["unshare", "--net", *extra] if os.geteuid() == 0 else ["unshare", "--map-root-user", "--net", *extra]
    )
    probe = subprocess.run([*command, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"this machine does not allow these namespaces: {probe.stderr.strip()}")
    return command


def _run_lesson_offline(
    command: list[str], setup: str, tmp_path, **extra_env: str
) -> subprocess.CompletedProcess:
    env = subprocess_env(HOME=str(tmp_path), MPLCONFIGDIR=str(tmp_path / "mpl"), **extra_env)
    env.pop("TLCOURSE_PROFILE", None)  # detection itself must find no hub and choose tiny
    script = f'ip link set lo up && {setup} exec "$0" -c "$RUN_LESSON" "$1" "$2"'
    lesson = ROOT / "lessons" / "00_map_of_transfer.ipynb"
    return subprocess.run(
        [*command, "sh", "-c", script, sys.executable, str(lesson), str(lesson.parent)],
        capture_output=True,
        text=True,
        timeout=900,
        env={**env, "RUN_LESSON": RUN_LESSON},
    )


@pytest.mark.slow
def test_lesson_00_runs_with_the_network_cut(tmp_path):
    result = _run_lesson_offline(_namespace(), "", tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "network cut" in result.stdout and "lesson ran offline" in result.stdout


@pytest.mark.slow
def test_classroom_cache_read_only_and_offline(tmp_path):
    """A teacher prepared a shared cache; a student's kernel reads it read-only, with no network."""
    shared = tmp_path / "shared-cache"
    prepare = subprocess.run(
        [sys.executable, "-m", "tlcourse", "prepare", "--profile", "tiny", "--asset", "movie_reviews"],
        capture_output=True,
        text=True,
        timeout=300,
        env=subprocess_env(TLCOURSE_CACHE=str(shared)),
    )
    assert prepare.returncode == 0, prepare.stderr
    before = sorted(p.relative_to(shared) for p in shared.rglob("*"))
    read_only = f'mount --bind "{shared}" "{shared}" && mount -o remount,bind,ro "{shared}" &&'
    result = _run_lesson_offline(
        _namespace("--mount", "--propagation", "private"), read_only, tmp_path, TLCOURSE_CACHE=str(shared)
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "lesson ran offline" in result.stdout
    assert sorted(p.relative_to(shared) for p in shared.rglob("*")) == before  # nothing written to it
