"""Profiles: one switch that says which models and data a lesson uses (tiny, small, full).

The code path is the same in every profile; only names and sizes change. Lesson 00 prints the
active one. A process chooses it once, where it starts (``env.start_profile``: an argument, else
``TLCOURSE_PROFILE``, else :func:`detect`), and passes the name on to every function that needs it.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import urllib.parse

ENV_VAR = "TLCOURSE_PROFILE"
#: Where the model hub is looked for. ``HF_ENDPOINT`` is what huggingface_hub itself honours.
DEFAULT_HUB = "https://huggingface.co"


@dataclasses.dataclass(frozen=True)
class Profile:
    """A named scale of the course: where it is meant to run and what that means for the numbers."""

    name: str
    where: str
    meaning: str
    needs_hub: bool


PROFILES: dict[str, Profile] = {
    "tiny": Profile(
        name="tiny",
        where="CI and offline laptops",
        meaning=(
            "Everything is built from text that pip packages ship (a few hundred thousand words, "
            "200 labelled sentences) and one small packaged encoder. Numbers are honest but noisy: "
            "only large effects can be told apart from chance."
        ),
        needs_hub=False,
    ),
    "small": Profile(
        name="small",
        where="Binder and laptops online",
        meaning=(
            "Small hub checkpoints and data subsets: each lesson runs in minutes on a CPU and "
            "its numbers are close to, but below, the published ones."
        ),
        needs_hub=True,
    ),
    "full": Profile(
        name="full",
        where="Colab or another machine with a GPU",
        meaning=(
            "The checkpoints and data sets the papers used: the numbers can be set beside the published ones."
        ),
        needs_hub=True,
    ),
}


class UnknownProfileError(ValueError):
    """Raised for a profile name that is not one of :data:`PROFILES`."""


def get(name: str) -> Profile:
    """The profile called ``name``; an error that lists the valid names otherwise."""
    key = name.strip().lower()
    if key not in PROFILES:
        valid = ", ".join(PROFILES)
        raise UnknownProfileError(
            f"Unknown profile {name!r}. Valid profiles: {valid}. "
            f"Set {ENV_VAR} to one of them (or unset it to let the course choose)."
        )
    return PROFILES[key]


def hub_endpoint() -> str:
    """The model hub's address: ``HF_ENDPOINT`` if set, else the public hub."""
    return os.environ.get("HF_ENDPOINT", DEFAULT_HUB)


def hub_reachable(endpoint: str | None = None, *, timeout: float = 2.0) -> bool:
    """Whether a TCP connection to the model hub opens within ``timeout`` seconds.

    Only the hub counts: a machine that reaches the Python package index but not the hub is offline
    for this course.
    """
    url = urllib.parse.urlsplit(endpoint or hub_endpoint())
    host = url.hostname
    if not host:
        return False
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def on_colab() -> bool:
    """Whether this kernel runs on Google Colab."""
    return "COLAB_RELEASE_TAG" in os.environ or "COLAB_GPU" in os.environ


def on_binder() -> bool:
    """Whether this kernel runs on a Binder (repo2docker) deployment."""
    return any(key in os.environ for key in ("BINDER_SERVICE_HOST", "BINDER_REQUEST", "BINDER_LAUNCH_HOST"))


def detect(*, has_gpu: bool, hub_ok: bool | None = None, timeout: float = 2.0) -> tuple[str, str]:
    """Choose a profile from the machine and say why: ``(name, reason)``.

    No reachable hub means ``tiny``; Colab with a GPU means ``full``; Colab without one and Binder mean
    ``small``; any other online machine gets ``tiny`` until ``small`` is tuned for laptops (set
    ``TLCOURSE_PROFILE`` to choose: ``env.start_profile`` reads it before it detects).
    """
    if hub_ok is None:
        hub_ok = hub_reachable(timeout=timeout)
    if not hub_ok:
        return "tiny", f"no model hub answered at {hub_endpoint()} within {timeout:g} s"
    if on_colab():
        if has_gpu:
            return "full", "Colab with a GPU"
        return "small", "Colab without a GPU"
    if on_binder():
        return "small", "Binder"
    return "tiny", (
        f"the default on a machine that is not Colab or Binder; set {ENV_VAR}=small "
        "to use hub models and data"
    )
