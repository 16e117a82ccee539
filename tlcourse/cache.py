"""The asset cache: one folder that holds what the course downloaded or built, written atomically.

Each asset is built in a temporary folder beside its final place and renamed into place only when
complete, under a file lock, so that an interrupted build leaves nothing half-written and thirty
kernels asking for one asset at once cause one build. A cache that is read-only to the user still
serves what it holds. Each entry's manifest records its files' sizes (and the sha256 of the small ones):
an entry damaged since (a truncated or emptied file) is found before use and rebuilt, or, where the cache
is read-only, named with the command that fixes it. Lesson 00's environment check prints where it is.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import filelock

ENV_VAR = "TLCOURSE_CACHE"
MANIFEST = "MANIFEST.json"
_TMP_PREFIX = ".tmp-"
_LOCKS = ".locks"
#: Files up to this size are hashed at build time and checked at every use (a few ms); larger ones by size,
#: and by hash only when asked (``verify(..., deep=True)``, as ``doctor`` does).
HASH_LIMIT = 16 * 2**20


class CacheError(RuntimeError):
    """The cache cannot give an asset: the message says what to do."""


def root() -> Path:
    """The cache folder: ``$TLCOURSE_CACHE``, else ``$XDG_CACHE_HOME/tlcourse``, else
    ``~/.cache/tlcourse``."""
    explicit = os.environ.get(ENV_VAR, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tlcourse"


def entry_path(name: str, version: str, *, base: Path | None = None) -> Path:
    """Where the asset ``name`` at ``version`` lives (it may not be built yet)."""
    _check_name(name)
    return (base or root()) / f"{name}-{version}"


def is_built(name: str, version: str, *, base: Path | None = None) -> bool:
    """Whether a complete, undamaged copy of the asset is in the cache (sizes and small files' hashes)."""
    return (entry_path(name, version, base=base) / MANIFEST).is_file() and not verify(
        name, version, base=base
    )


def verify(name: str, version: str, *, base: Path | None = None, deep: bool = False) -> list[str]:
    """What is wrong with the cached entry, one line a damaged file (``[]``: whole, or not built at all).

    Sizes are always compared with the manifest and small files' sha256 too; ``deep`` hashes every file.
    """
    folder = entry_path(name, version, base=base)
    try:
        record = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as error:
        return [f"{MANIFEST} cannot be read ({error})"]
    problems = []
    hashes = record.get("sha256", {})
    for relative, size in record.get("files", {}).items():
        path = folder / relative
        try:
            actual = path.stat().st_size
        except OSError:
            problems.append(f"{relative} is missing")
            continue
        if actual != size:
            problems.append(f"{relative} has {actual:,} bytes, {size:,} when built")
        elif relative in hashes and (deep or size <= HASH_LIMIT) and _sha256(path) != hashes[relative]:
            problems.append(f"{relative} has changed since it was built (sha256)")
    return problems


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest(name: str, version: str, *, base: Path | None = None) -> dict:
    """The manifest written when the asset was built: name, version, date, files and sizes."""
    return json.loads((entry_path(name, version, base=base) / MANIFEST).read_text(encoding="utf-8"))


def build(
    name: str,
    builder: Callable[[Path], None],
    *,
    version: str,
    base: Path | None = None,
    force: bool = False,
) -> Path:
    """Return the folder of asset ``name``, building it first with ``builder(folder)`` if needed.

    ``builder`` writes the asset's files into the empty folder it is given. Concurrent callers wait
    for one build; a build killed half-way leaves only a temporary folder that the next build removes.
    A damaged entry (see :func:`verify`) is rebuilt, and so is a whole one with ``force``.
    """
    base = base or root()
    final = entry_path(name, version, base=base)
    damage = verify(name, version, base=base)
    if (final / MANIFEST).is_file() and not damage and not force:
        return final
    try:
        (base / _LOCKS).mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(base / _LOCKS / f"{name}.lock"))
        lock.acquire()
    except OSError as error:
        if damage:
            raise CacheError(
                f"The asset {name!r} in the cache at {final} is damaged ({'; '.join(damage)}), and the cache "
                f"cannot be written ({error.strerror or error}). Ask whoever manages it to run "
                f"`python -m tlcourse prepare --force --asset {name}` with {ENV_VAR}={base}, "
                f"or point {ENV_VAR} at a folder of your own."
            ) from error
        raise CacheError(
            f"The asset {name!r} is not in the cache at {base}, and that folder cannot be written "
            f"({error.strerror or error}). Ask whoever manages it to run "
            f"`python -m tlcourse prepare`, or point {ENV_VAR} at a folder of your own."
        ) from error
    try:
        # another process built (or repaired) it while we waited
        if (final / MANIFEST).is_file() and not force and not verify(name, version, base=base):
            return final
        for stale in base.glob(f"{_TMP_PREFIX}{name}-{version}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        if final.exists():  # damaged, forced, or without a manifest: not ours to trust
            shutil.rmtree(final)
        tmp = Path(tempfile.mkdtemp(prefix=f"{_TMP_PREFIX}{name}-{version}-", dir=base))
        try:
            builder(tmp)
            _write_manifest(tmp, name, version)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final
    finally:
        lock.release()


def entries(*, base: Path | None = None) -> list[dict]:
    """Manifests of every complete asset in the cache, sorted by name."""
    base = base or root()
    if not base.is_dir():
        return []
    found = []
    for path in sorted(base.iterdir()):
        if path.name.startswith(".") or not (path / MANIFEST).is_file():
            continue
        found.append(json.loads((path / MANIFEST).read_text(encoding="utf-8")) | {"path": str(path)})
    return found


def writable(base: Path | None = None) -> bool:
    """Whether new assets can be written under ``base`` (the folder is created if missing)."""
    base = base or root()
    try:
        base.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=base):
            return True
    except OSError:
        return False


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (a reader never sees half)."""
    fd, tmp = tempfile.mkstemp(prefix=f"{_TMP_PREFIX}{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_manifest(folder: Path, name: str, version: str) -> None:
    files = {str(p.relative_to(folder)): p.stat().st_size for p in sorted(folder.rglob("*")) if p.is_file()}
    record = {
        "name": name,
        "version": version,
        "built": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "files": files,
        "bytes": sum(files.values()),
        "sha256": {relative: _sha256(folder / relative) for relative in files},
    }
    # Directories keep their permissions through the rename: make the entry readable to a class.
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    (folder / MANIFEST).write_text(json.dumps(record, indent=1), encoding="utf-8")
    (folder / MANIFEST).chmod(0o644)


def _check_name(name: str) -> None:
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"Asset names are plain words such as 'movie_reviews', not {name!r}.")
