"""Profile choice: argument, then the variable, then detection; unknown names are explained; one reader."""

from __future__ import annotations

import os
import re
import socket
import sys

import pytest
from conftest import ROOT

from tlcourse import env, profiles


@pytest.fixture
def clean_env(monkeypatch):
    for var in (
        profiles.ENV_VAR,
        "COLAB_RELEASE_TAG",
        "COLAB_GPU",
        "BINDER_SERVICE_HOST",
        "BINDER_REQUEST",
        "BINDER_LAUNCH_HOST",
    ):
        monkeypatch.delenv(var, raising=False)
    for var in env.OFFLINE_VARS:  # start_profile switches them on for tiny; put them back afterwards
        monkeypatch.setenv(var, "0")
    for module in ("huggingface_hub.constants", "datasets.config"):
        if module in sys.modules:
            monkeypatch.setattr(sys.modules[module], "HF_HUB_OFFLINE", sys.modules[module].HF_HUB_OFFLINE)
    return monkeypatch


def test_argument_then_variable_then_default(clean_env):
    clean_env.setenv(profiles.ENV_VAR, "Small")
    assert env.start_profile(detect=False) == ("small", f"set by {profiles.ENV_VAR}")
    assert env.start_profile("FULL", detect=False) == ("full", "asked for")
    clean_env.delenv(profiles.ENV_VAR)
    name, reason = env.start_profile(detect=False)
    assert name == "tiny" and profiles.ENV_VAR in reason
    assert {var: os.environ[var] for var in env.OFFLINE_VARS} == dict.fromkeys(env.OFFLINE_VARS, "1")


def test_unknown_profile_lists_valid_ones(clean_env):
    clean_env.setenv(profiles.ENV_VAR, "huge")
    with pytest.raises(profiles.UnknownProfileError, match="tiny, small, full"):
        env.start_profile()
    with pytest.raises(profiles.UnknownProfileError, match="tiny, small, full"):
        env.start_profile("medium")


READS_THE_VARIABLE = r'environ(\.get\(|\[)\s*(_?profiles\.ENV_VAR|"TLCOURSE_PROFILE")'


def test_the_variable_is_read_in_one_place():
    """One channel: functions take ``profile``; only ``env.start_profile`` (a process's start) reads it."""
    readers = [
        path.name
        for path in sorted((ROOT / "tlcourse").rglob("*.py"))
        if re.search(READS_THE_VARIABLE, path.read_text(encoding="utf-8"))
    ]
    assert readers == ["env.py"]


@pytest.mark.parametrize(
    "env, gpu, hub, expected",
    [
        ({}, False, False, "tiny"),
        ({"COLAB_RELEASE_TAG": "x"}, True, False, "tiny"),  # no hub beats everything
        ({"COLAB_RELEASE_TAG": "x"}, True, True, "full"),
        ({"COLAB_RELEASE_TAG": "x"}, False, True, "small"),
        ({"BINDER_SERVICE_HOST": "x"}, False, True, "small"),
        ({}, True, True, "tiny"),  # any other online machine, until the launch work tunes small
    ],
)
def test_detection_rules(clean_env, env, gpu, hub, expected):
    for key, value in env.items():
        clean_env.setenv(key, value)
    name, reason = profiles.detect(has_gpu=gpu, hub_ok=hub)
    assert name == expected and reason


def test_hub_reachable_against_local_listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:  # the kernel completes the handshake from the listen backlog; no accept() needed
        assert profiles.hub_reachable(f"http://127.0.0.1:{port}", timeout=2)
    finally:
        server.close()
    # the same port, now closed: refused at once
    assert not profiles.hub_reachable(f"http://127.0.0.1:{port}", timeout=2)
    assert not profiles.hub_reachable("not a url", timeout=0.1)


def test_hub_endpoint_honours_hf_endpoint(monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    assert profiles.hub_endpoint() == "http://127.0.0.1:9"
