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
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
    banner = "".join(o.get("text", "") for o in notebook.cells[2].outputs)
    print(banner)
    assert "profile tiny (no model hub answered" in banner, banner
    print("lesson ran offline")
    """
)


def test_lesson_00_runs_with_the_network_cut(tmp_path):
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("needs unshare(1) and ip(8) to cut the network")
    namespace = ["unshare", "--net"] if os.geteuid() == 0 else ["unshare", "--map-root-user", "--net"]
    probe = subprocess.run([*namespace, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"this machine does not allow network namespaces: {probe.stderr.strip()}")
    env = subprocess_env(HOME=str(tmp_path), MPLCONFIGDIR=str(tmp_path / "mpl"))
    env.pop("TLCOURSE_PROFILE", None)  # detection itself must find no hub and choose tiny
    script = 'ip link set lo up && exec "$0" -c "$RUN_LESSON" "$1" "$2"'
    result = subprocess.run(
        [*namespace, "sh", "-c", script, sys.executable, str(ROOT / "lessons" / "00_map_of_transfer.ipynb"), str(ROOT / "lessons")],
        capture_output=True, text=True, timeout=900, env={**env, "RUN_LESSON": RUN_LESSON},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "network cut" in result.stdout and "lesson ran offline" in result.stdout
