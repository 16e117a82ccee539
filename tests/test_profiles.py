"""Profile choice: the variable wins, unknown names are explained, detection follows the rules."""

from __future__ import annotations

import socket

import pytest

from tlcourse import profiles


@pytest.fixture
def clean_env(monkeypatch):
    for var in (profiles.ENV_VAR, "COLAB_RELEASE_TAG", "COLAB_GPU", "BINDER_SERVICE_HOST", "BINDER_REQUEST", "BINDER_LAUNCH_HOST"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_variable_wins(clean_env):
    clean_env.setenv(profiles.ENV_VAR, "Small")
    assert profiles.detect(has_gpu=False, hub_ok=False) == ("small", f"set by {profiles.ENV_VAR}")


def test_unknown_profile_lists_valid_ones(clean_env):
    clean_env.setenv(profiles.ENV_VAR, "huge")
    with pytest.raises(profiles.UnknownProfileError, match="tiny, small, full"):
        profiles.detect(has_gpu=False, hub_ok=True)


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
