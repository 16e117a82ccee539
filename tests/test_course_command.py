"""The README's course command ends in `python -m tlcourse lab`: JupyterLab on loopback, lesson 00 served."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from conftest import ROOT, subprocess_env

TOKEN = "course-test-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_lab_serves_lesson_00_on_loopback(tmp_path):
    port = _free_port()
    env = subprocess_env(JUPYTER_TOKEN=TOKEN, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    server = subprocess.Popen(
        [sys.executable, "-m", "tlcourse", "lab", "--no-browser", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}/api/contents/lessons/00_map_of_transfer.ipynb?token={TOKEN}"
    try:
        deadline, reply = time.monotonic() + 90, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    reply = json.load(response)
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert reply is not None, f"JupyterLab did not serve lesson 00 (exit {server.poll()})"
        assert reply["type"] == "notebook" and reply["name"] == "00_map_of_transfer.ipynb"
        assert reply["content"]["metadata"]["kernelspec"]["name"] == "python3"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={TOKEN}", timeout=10) as page:
            assert page.status == 200
        # loopback only: the server must not listen on other addresses
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout
        if listening:
            assert all("127.0.0.1" in line for line in listening.strip().splitlines()), listening
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            output, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
    assert server.returncode is not None
    assert str(ROOT) in output or "Jupyter Server" in output
