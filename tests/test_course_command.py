"""The README's course command ends in `python -m tlcourse lab`: JupyterLab on loopback, lesson 00 served."""

from __future__ import annotations

import json
import re
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
    busy = socket.socket()  # the port asked for is taken: the command must say so and print the one it uses
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    asked = busy.getsockname()[1]
    env = subprocess_env(
        JUPYTER_TOKEN=TOKEN,
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "tlcourse", "lab", "--no-browser", "--port", str(asked)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        printed = [server.stdout.readline() for _ in range(2)]
        assert printed[0].startswith(f"Port {asked} is busy"), printed
        match = re.search(
            r"http://127\.0\.0\.1:(\d+)/lab/tree/lessons/00_map_of_transfer\.ipynb\?token=(\S+)", printed[1]
        )
        assert match and match.group(2) == TOKEN, printed
        port = int(match.group(1))
        assert port != asked
        url = f"http://127.0.0.1:{port}/api/contents/lessons/00_map_of_transfer.ipynb?token={TOKEN}"
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
        with urllib.request.urlopen(match.group(0), timeout=10) as page:  # the printed address itself
            assert page.status == 200
        # loopback only: the server must not listen on other addresses
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout
        if listening:
            assert all("127.0.0.1" in line for line in listening.strip().splitlines()), listening
    finally:
        busy.close()
        server.send_signal(signal.SIGTERM)
        try:
            output, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
    assert server.returncode is not None
    assert str(ROOT) in output or "Jupyter Server" in output


def test_a_folder_named_like_the_package_does_not_shadow_it(tmp_path):
    """A kernel started in the clone's parent folder imports the installed package, not the clone as a
    namespace."""
    import nbclient
    import nbformat

    (tmp_path / "tlcourse").mkdir()  # what a clone called tlcourse looks like from its parent: no __init__.py
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import tlcourse\nprint(tlcourse.__version__)")]
    )
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbclient.NotebookClient(notebook, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert notebook.cells[0].outputs[0]["text"].strip() == __import__("tlcourse").__version__
