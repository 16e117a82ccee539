"""The README stays true: its two set-up commands exist as written, its links follow tlcourse.project."""

from __future__ import annotations

import re

from conftest import ROOT

from tlcourse import project


def test_two_setup_commands_match_the_script():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^bash setup\.sh (\w+)", readme, re.M)
    assert commands[:2] == ["course", "test"]
    script = (ROOT / "setup.sh").read_text(encoding="utf-8")
    assert '"$mode" != "course" && "$mode" != "test"' in script
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().endswith("bash setup.sh test")
    assert f"git clone {project.github_url()}.git" in readme


def test_colab_links_follow_the_one_address():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"https://colab\.research\.google\.com/github/[^)\s]+", readme)
    assert links
    for link in links:
        notebook = link.split(f"/blob/{project.BRANCH}/", 1)[-1]
        assert link == project.colab_url(notebook), link
        assert (ROOT / notebook).exists(), notebook
    for path in sorted((ROOT / "lessons").glob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        assert project.colab_url(f"lessons/{path.name}") in text, f"{path.name}: Colab badge missing or stale"
