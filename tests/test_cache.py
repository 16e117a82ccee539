"""The asset cache under real faults: a builder killed mid-write, concurrent builders, a read-only cache."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tlcourse import cache

BUILDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tlcourse import cache

    base, name, mode, counter = Path(sys.argv[1]), sys.argv[2], sys.argv[3], Path(sys.argv[4])

    def builder(folder):
        with open(counter, "a") as handle:   # one line per build that actually ran
            handle.write("built\\n")
        (folder / "part1.txt").write_text("first half")
        if mode == "hang":
            print("writing", flush=True)
            time.sleep(60)                     # killed here, half-written
        if mode == "slow":
            time.sleep(1.5)
        (folder / "part2.txt").write_text("second half")

    print(cache.build(name, builder, version="1", base=base), flush=True)
    """
)


def _start(base: Path, name: str, mode: str, counter: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", BUILDER, str(base), name, mode, str(counter)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_build_writes_manifest_and_reuses(tmp_path):
    calls = []

    def builder(folder):
        calls.append(folder)
        (folder / "a.txt").write_text("hello")

    first = cache.build("thing", builder, version="1", base=tmp_path)
    second = cache.build("thing", builder, version="1", base=tmp_path)
    assert first == second == tmp_path / "thing-1"
    assert len(calls) == 1
    record = cache.manifest("thing", "1", base=tmp_path)
    assert record["files"] == {"a.txt": 5} and record["version"] == "1"
    assert [e["name"] for e in cache.entries(base=tmp_path)] == ["thing"]


def test_failed_builder_leaves_nothing(tmp_path):
    def broken(folder):
        (folder / "a.txt").write_text("partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        cache.build("thing", broken, version="1", base=tmp_path)
    assert not cache.is_built("thing", "1", base=tmp_path)
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".locks")] == []


def test_sigkill_mid_write_leaves_no_entry_and_next_run_rebuilds(tmp_path):
    counter = tmp_path / "count.txt"
    base = tmp_path / "cache"
    process = _start(base, "corpus", "hang", counter)
    assert process.stdout.readline().strip() == "writing"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    assert not (base / "corpus-1").exists(), "a killed build must not leave a visible entry"
    leftovers = [p for p in base.iterdir() if p.name.startswith(".tmp-corpus")]
    assert leftovers, "the half-written build stays in a temporary folder"

    finished = _start(base, "corpus", "fast", counter)
    out, err = finished.communicate(timeout=60)
    assert finished.returncode == 0, err
    entry = Path(out.strip())
    assert (entry / "part1.txt").read_text() == "first half"
    assert (entry / "part2.txt").read_text() == "second half"
    assert not [p for p in base.iterdir() if p.name.startswith(".tmp-corpus")], (
        "stale temporaries are removed"
    )
    assert counter.read_text().count("built") == 2  # the killed build and the one that finished


def test_two_processes_build_once(tmp_path):
    counter = tmp_path / "count.txt"
    base = tmp_path / "cache"
    processes = [_start(base, "shared", "slow", counter) for _ in range(2)]
    outputs = [p.communicate(timeout=60) for p in processes]
    assert all(p.returncode == 0 for p in processes), [err for _, err in outputs]
    assert outputs[0][0] == outputs[1][0]  # both got the same folder
    assert counter.read_text().count("built") == 1


READER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tlcourse import cache

    base = Path(sys.argv[1])
    served = cache.build("present", lambda folder: None, version="1", base=base)
    print("served", (served / "data.txt").read_text())
    try:
        cache.build("absent", lambda folder: (folder / "x").write_text("x"), version="1", base=base)
    except cache.CacheError as error:
        print("refused", error)
    """
)


def _run_read_only(base: Path, reader: str = READER) -> subprocess.CompletedProcess:
    """Run ``reader`` (READER by default) with ``base`` read-only: a read-only bind mount as root, file modes
    otherwise."""
    if os.geteuid() == 0:
        if shutil.which("unshare") is None:
            pytest.skip("needs unshare(1) to make a read-only mount as root")
        script = (
            f'mount --bind "{base}" "{base}" && mount -o remount,bind,ro "{base}" && '
            f'exec "{sys.executable}" -c "$READER" "{base}"'
        )
        return subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "READER": reader},
        )
    for path in [base, *base.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)
    try:
        return subprocess.run(
            [sys.executable, "-c", reader, str(base)], capture_output=True, text=True, timeout=60
        )
    finally:
        for path in [base, *base.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)


def test_read_only_cache_serves_what_it_holds_and_explains_the_rest(tmp_path):
    base = tmp_path / "cache"
    cache.build("present", lambda folder: (folder / "data.txt").write_text("kept"), version="1", base=base)
    result = _run_read_only(base)
    assert result.returncode == 0, result.stderr
    assert "served kept" in result.stdout
    assert "refused" in result.stdout and "TLCOURSE_CACHE" in result.stdout and "prepare" in result.stdout
    assert not cache.is_built("absent", "1", base=base)


def test_entries_are_readable_by_others(tmp_path):
    entry = cache.build("open", lambda folder: (folder / "f.txt").write_text("x"), version="1", base=tmp_path)
    assert entry.stat().st_mode & 0o005 == 0o005
    assert (entry / "f.txt").stat().st_mode & 0o004


def test_root_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TLCOURSE_CACHE", str(tmp_path / "mine"))
    assert cache.root() == tmp_path / "mine"
    monkeypatch.delenv("TLCOURSE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.root() == tmp_path / "xdg" / "tlcourse"


def test_bad_names_are_refused(tmp_path):
    with pytest.raises(ValueError, match="plain words"):
        cache.build("../escape", lambda folder: None, version="1", base=tmp_path)


def _counting_builder(counter: list):
    def builder(folder: Path) -> None:
        counter.append(1)
        (folder / "weights.bin").write_bytes(bytes(range(256)) * 64)
        (folder / "rows.jsonl").write_text('{"text": "a"}\n' * 10, encoding="utf-8")

    return builder


@pytest.mark.parametrize(
    "damage",
    [
        lambda entry: (entry / "weights.bin").write_bytes(
            (entry / "weights.bin").read_bytes()[:1000]
        ),  # truncated
        lambda entry: (entry / "rows.jsonl").write_text("", encoding="utf-8"),  # emptied
        lambda entry: (entry / "rows.jsonl").write_text(
            '{"text": "b"}\n' * 10, encoding="utf-8"
        ),  # same size
        lambda entry: (entry / "weights.bin").unlink(),  # gone
    ],
    ids=["truncated", "emptied", "changed-same-size", "deleted"],
)
def test_a_damaged_entry_is_found_and_rebuilt(tmp_path, damage):
    builds: list = []
    entry = cache.build("thing", _counting_builder(builds), version="1", base=tmp_path)
    assert cache.verify("thing", "1", base=tmp_path) == [] and cache.is_built("thing", "1", base=tmp_path)
    damage(entry)
    assert cache.verify("thing", "1", base=tmp_path) and not cache.is_built("thing", "1", base=tmp_path)
    again = cache.build("thing", _counting_builder(builds), version="1", base=tmp_path)
    assert again == entry and len(builds) == 2 and cache.verify("thing", "1", base=tmp_path, deep=True) == []


def test_force_rebuilds_a_whole_entry(tmp_path):
    builds: list = []
    cache.build("thing", _counting_builder(builds), version="1", base=tmp_path)
    cache.build("thing", _counting_builder(builds), version="1", base=tmp_path)
    cache.build("thing", _counting_builder(builds), version="1", base=tmp_path, force=True)
    assert len(builds) == 2


DAMAGED_READER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tlcourse import cache

    try:
        cache.build("thing", lambda folder: None, version="1", base=Path(sys.argv[1]))
        print("served a damaged entry")
    except cache.CacheError as error:
        print("refused", error)
    """
)


def test_a_damaged_entry_in_a_read_only_cache_is_named_with_its_fix(tmp_path):
    base = tmp_path / "cache"
    entry = cache.build("thing", _counting_builder([]), version="1", base=base)
    (entry / "rows.jsonl").write_text("", encoding="utf-8")
    result = _run_read_only(base, DAMAGED_READER)
    assert result.returncode == 0, result.stderr
    assert "refused" in result.stdout and "damaged" in result.stdout, result.stdout
    assert "rows.jsonl has 0 bytes" in result.stdout and "prepare --force --asset thing" in result.stdout
