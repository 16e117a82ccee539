"""The course's website: built from executed lessons, offline by construction, checked in a real browser.

The full build (marked slow) executes every lesson in ``lessons/``: the test command runs them here, not
under nbval (which keeps ``solutions/``), so a cell error in a lesson fails this test. Under xdist it is one
unit beside the other tests and executes one lesson at a time; alone, two. The browser part needs Chromium:
``TLCOURSE_CHROMIUM``, else ``chromium`` or ``chromium-browser`` on the PATH. Without one it is skipped,
unless ``TLCOURSE_REQUIRE_BROWSER=1`` (``.ci/run`` sets it) turns the skip into a failure. Screenshots of
every page (and of each lesson's first figure) go to ``_build/site-screenshots``.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, subprocess_env

from tlcourse import project
from tlcourse.authoring import catalogue, site

SCREENSHOTS = ROOT / "_build" / "site-screenshots"
LESSONS = site.select(ROOT)


def test_lessons_come_from_the_files_and_a_wrong_choice_says_what_exists():
    assert [p.name for p in LESSONS] == sorted(p.name for p in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
    assert site.select(ROOT, ["00"]) == [ROOT / "lessons" / "00_map_of_transfer.ipynb"]
    with pytest.raises(site.SiteBuildError, match="00_map_of_transfer"):
        site.select(ROOT, ["99"])


def test_build_site_names_the_lessons_when_none_matches(capsys, tmp_path):
    from tlcourse import __main__

    assert __main__.main(["build-site", "--lesson", "99", "--out", str(tmp_path / "site")]) == 2
    error = capsys.readouterr().err
    assert "No lesson matches 99" in error and "00_map_of_transfer" in error
    assert not (tmp_path / "site").exists()


def _lesson(folder: Path, name: str, code: str) -> None:
    title = f"# {name[:2]} · A lesson\n\n{project.badges(f'lessons/{name}')}\n\nWhat it teaches."
    cells = [nbformat.v4.new_markdown_cell(title), nbformat.v4.new_code_cell(code)]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), folder / "lessons" / name)


def test_a_small_course_builds_and_a_cell_error_fails_naming_the_lesson(tmp_path):
    root = tmp_path / "course"
    (root / "lessons").mkdir(parents=True)
    _lesson(root, "00_first.ipynb", "print('forty-two')")
    summary = site.build(root, tmp_path / "site", jobs=1, cache=tmp_path / "cache")
    html = (tmp_path / "site" / "lessons" / "00_first.html").read_text(encoding="utf-8")
    assert "forty-two" in html and "profile on a" in html and "colab-badge.svg" not in html
    assert summary["lessons"] == ["00_first"] and not (tmp_path / "site-source").exists()
    _lesson(root, "01_broken.ipynb", "1 / 0")
    with pytest.raises(site.SiteBuildError, match=r"01_broken\.ipynb failed(.|\n)*ZeroDivisionError"):
        site.build(root, tmp_path / "site", jobs=1, cache=tmp_path / "cache")
    assert not (tmp_path / "site-source").exists()  # no executed copies left behind


def test_the_site_copy_drops_badge_images_and_keeps_the_prose():
    notebook = nbformat.read(LESSONS[0], as_version=4)
    assert "colab-badge.svg" in notebook.cells[0].source
    page = site.drop_badges(notebook)
    assert "colab-badge.svg" not in page.cells[0].source and "badge_logo.svg" not in page.cells[0].source
    assert page.cells[0].source.splitlines()[0] == notebook.cells[0].source.splitlines()[0]
    assert "**What you will build**" in page.cells[0].source
    assert "colab-badge.svg" in notebook.cells[0].source  # the original is untouched


def test_widget_state_and_progress_bars_are_stripped():
    cell = nbformat.v4.new_code_cell("for _ in tqdm(range(3)): pass")
    bar = {site.WIDGET_VIEW: {"model_id": "abc"}, "text/plain": "HBox(children=(...))"}
    cell.outputs = [
        nbformat.v4.new_output("display_data", data=bar),
        nbformat.v4.new_output("stream", name="stdout", text="done\n"),
    ]
    notebook = nbformat.v4.new_notebook(cells=[cell], metadata={"widgets": {"state": {"abc": {}}}})
    stripped = site.strip_widgets(notebook)
    assert "widgets" not in stripped.metadata
    assert [out.output_type for out in stripped.cells[0].outputs] == ["stream"]
    assert len(notebook.cells[0].outputs) == 2


def test_the_workflow_publishes_what_build_site_builds_at_the_projects_address():
    workflow = (ROOT / ".github" / "workflows" / "site.yml").read_text(encoding="utf-8")
    assert "python -m tlcourse build-site" in workflow
    assert "path: _build/site" in workflow and "actions/deploy-pages" in workflow
    assert f"github.repository == '{project.REPOSITORY}'" in workflow
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert project.site_url() in readme


def test_ci_installs_chromium_and_requires_the_browser_test():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "apt-get install -y --no-install-recommends chromium" in ci
    assert "TLCOURSE_REQUIRE_BROWSER=1" in ci


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The whole site, every lesson executed (in the test run's cache, which setup.sh makes fresh)."""
    out = tmp_path_factory.mktemp("site") / "site"
    jobs = "1" if os.environ.get("PYTEST_XDIST_WORKER") else "2"  # under xdist another worker runs beside
    command = [sys.executable, "-m", "tlcourse", "build-site", "--out", str(out), "--jobs", jobs]
    from tlcourse import cache

    command += ["--cache", str(cache.root())]
    result = subprocess.run(command, capture_output=True, text=True, env=subprocess_env(TLCOURSE_DEBUG="1"))
    assert result.returncode == 0, f"build-site failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    return out


def _page(out: Path, lesson: Path) -> Path:
    return out / "lessons" / f"{lesson.stem}.html"


@pytest.mark.slow
def test_every_lesson_is_a_page_with_its_outputs_provenance_and_launch_links(built):
    index = (built / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="lessons/(\d\d_[a-z0-9_]+)\.html"', index)
    assert list(dict.fromkeys(links)) == [p.stem for p in LESSONS]  # every lesson, in order
    assert "_images/map.png" in index and "launching.html" in index
    for lesson in LESSONS:
        html = _page(built, lesson).read_text(encoding="utf-8")
        assert catalogue.title(lesson).split(":")[0] in html
        assert (
            'in the <code class="docutils literal notranslate"><span class="pre">tiny</span></code> '
            "profile on a" in html
        ), f"{lesson.name}: no provenance note"
        assert 'class="cell_output' in html, f"{lesson.name}: no outputs"
        assert "colab-badge.svg" not in html and "badge_logo.svg" not in html
        notebook = f"lessons/{lesson.name}"
        assert project.colab_url(notebook) in html and project.binder_url(notebook) in html


@pytest.mark.slow
def test_no_page_names_anything_to_load_from_outside(built):
    loads = re.compile(r'<(?:script|img|iframe|source|link)\b[^>]*?\b(?:src|href)="((?:https?:)?//[^"]+)"')
    for page in built.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not loads.findall(text), f"{page.relative_to(built)} loads {loads.findall(text)}"
        assert "require.js" not in text, page
    assert not list(built.rglob("*.ipynb")), "the executed copies are not published"


def _chromium() -> str:
    """Debian's Chromium, or a skip that says how to get one (a failure where CI requires it)."""
    found = (
        os.environ.get("TLCOURSE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    why = None
    if not found:
        why = (
            "no Chromium here: install one (Debian/Ubuntu: `apt-get install chromium`) or point "
            "TLCOURSE_CHROMIUM at its executable to run the browser test"
        )
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            why = "Playwright for Python is missing: `pip install -e '.[test]'` (no browser download needed)"
    if why:
        if os.environ.get("TLCOURSE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"TLCOURSE_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    return found


@pytest.fixture
def served(built):
    """The built site on a loopback port, for as long as the test runs."""
    handler = functools.partial(_QuietHandler, directory=str(built))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no access log in the test output
        pass


def _search_term(lesson: Path) -> str:
    """A word of the lesson's title that search must find the lesson by (its longest)."""
    words = re.findall(r"[A-Za-z][a-z]{3,}", catalogue.title(lesson))
    return max(words, key=len).lower()


@pytest.mark.slow
def test_every_page_works_offline_in_a_real_browser(built, served):
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    problems: list[str] = []
    pages = ["index.html", "launching.html", *[f"lessons/{p.stem}.html" for p in LESSONS]]

    def route(request_route):
        host = urllib.parse.urlsplit(request_route.request.url).hostname
        if request_route.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            request_route.continue_()
        else:
            outside.append(request_route.request.url)
            request_route.abort()

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=executable, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("**/*", route)
        page.on("console", lambda m: m.type == "error" and problems.append(f"{page.url}: console: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"{page.url}: page error: {e}"))
        for name in pages:
            page.goto(f"{served}/{name}", wait_until="load")
            broken = page.evaluate(
                "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
            )
            assert not broken, f"{name}: figures not decoded: {broken}"
            shot = SCREENSHOTS / name.replace("/", "_").replace(".html", ".png")
            page.screenshot(path=str(shot))
            figures = page.locator("div.cell_output img")
            if figures.count():  # the lesson's first figure, as the page shows it
                figures.first.screenshot(path=str(shot.with_name(f"{shot.stem}_figure.png")))
        for lesson, following in zip(LESSONS, LESSONS[1:]):
            page.goto(f"{served}/lessons/{lesson.stem}.html", wait_until="load")
            page.click("a.right-next")
            page.wait_for_load_state("load")
            assert page.url.endswith(f"/lessons/{following.stem}.html"), (lesson.stem, page.url)
        for lesson in LESSONS:
            term = _search_term(lesson)
            page.goto(f"{served}/search.html?q={urllib.parse.quote(term)}", wait_until="load")
            page.wait_for_selector("#search-results ul.search li", timeout=20_000)
            found = page.eval_on_selector_all("#search-results ul.search li a", "as => as.map(a => a.href)")
            assert any(f"lessons/{lesson.stem}.html" in href for href in found), (
                lesson.stem,
                term,
                found[:5],
            )
        page.screenshot(path=str(SCREENSHOTS / "search.png"))
        browser.close()
    assert not outside, f"requests outside the site: {sorted(set(outside))}"
    assert not problems, "\n".join(problems)
