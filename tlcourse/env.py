"""The environment cell of every lesson: profile, offline switches, seeds, device, threads, banner.

Lesson 00 introduces it; every notebook's second cell calls :func:`setup` before anything from
Hugging Face is imported, so that the ``tiny`` profile is offline from the first import on.

>>> from tlcourse import env
>>> ENV = env.setup(seed=0)          # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import platform
import random
import sys

from tlcourse import profiles

#: Environment variables that make transformers, datasets and huggingface_hub stay offline.
OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")
#: Environment variables that silence progress bars (set under CI only).
QUIET_VARS = ("TQDM_DISABLE", "HF_DATASETS_DISABLE_PROGRESS_BARS", "HF_HUB_DISABLE_PROGRESS_BARS")
_LIBRARIES = ("torch", "transformers", "datasets", "gensim", "scikit-learn")


@dataclasses.dataclass(frozen=True)
class Environment:
    """What :func:`setup` decided; lessons read ``ENV.profile`` and pass ``ENV.device`` on."""

    profile: str
    reason: str
    device: str
    seed: int
    threads: int
    quiet: bool

    def generator(self, offset: int = 0):
        """A ``torch.Generator`` seeded with ``folds.derived_seed(seed, offset)``, i.e. ``seed + offset``."""
        import torch

        from tlcourse import folds

        return torch.Generator().manual_seed(folds.derived_seed(self.seed, offset))


def available_cpus() -> int:
    """CPUs this process may use: the affinity mask, capped by a cgroup quota where there is one."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        count = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max", encoding="ascii") as handle:
            quota, period = handle.read().split()
        if quota != "max":
            count = min(count, max(1, int(int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return max(1, count)


def in_ci() -> bool:
    """Whether this runs under continuous integration (the ``CI`` variable most services set)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def go_offline() -> None:
    """Switch transformers, datasets and huggingface_hub to offline mode.

    Best before they are imported (they read the variables at import); if one already is, its
    switch is also flipped in place.
    """
    for var in OFFLINE_VARS:
        os.environ[var] = "1"
    hub_constants = sys.modules.get("huggingface_hub.constants")
    if hub_constants is not None:
        hub_constants.HF_HUB_OFFLINE = True
    datasets_config = sys.modules.get("datasets.config")
    if datasets_config is not None:
        datasets_config.HF_HUB_OFFLINE = True
        if hasattr(datasets_config, "HF_DATASETS_OFFLINE"):
            datasets_config.HF_DATASETS_OFFLINE = True


def start_profile(asked: str | None = None, *, detect: bool = True, has_gpu: bool = False) -> tuple[str, str]:
    """Choose the profile a process runs in; switch Hugging Face offline if it needs no hub. ``(name, why)``.

    ``asked`` (a notebook's or a command's argument) wins, then ``TLCOURSE_PROFILE``, then
    ``profiles.detect`` (with ``detect=False``: ``tiny``, without probing the hub). The one place the
    variable is read: called where a process starts (:func:`setup`, the command line, the fine-tuning
    entry point), which then passes the name to every function that takes a ``profile``.
    """
    variable = os.environ.get(profiles.ENV_VAR, "").strip()
    if asked is not None:
        name, reason = profiles.get(asked).name, "asked for"
    elif variable:
        name, reason = profiles.get(variable).name, f"set by {profiles.ENV_VAR}"
    elif detect:
        name, reason = profiles.detect(has_gpu=has_gpu)
    else:
        name, reason = "tiny", f"the default when {profiles.ENV_VAR} is not set"
    if not profiles.get(name).needs_hub:
        go_offline()
    return name, reason


def seed_everything(seed: int) -> None:
    """Seed python's ``random``, numpy and torch (CPU and every GPU) with ``seed``."""
    import numpy
    import torch

    random.seed(seed)
    numpy.random.seed(seed)
    torch.manual_seed(seed)


def pick_device(prefer: str | None = None) -> str:
    """``prefer`` if given, else ``"cuda"`` when a GPU is there, ``"mps"`` on Apple silicon, else
    ``"cpu"``."""
    import torch

    if prefer:
        return prefer
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def release_memory(*, collect: bool = True) -> None:
    """Hand memory freed by Python and torch back to the system: a GPU's cache, and on Linux glibc's heap.

    glibc keeps freed blocks for reuse, so after a fine-tuning run the process stays as large as its peak
    (lesson 05 measured 590 MB of optimizer state kept); under Binder's 2 GB that decides whether the next
    run fits. ``malloc_trim`` gives it back (Linux with glibc only). ``collect=False`` skips the
    garbage collector (a quarter of a second with ``transformers`` loaded) when nothing freed sits in a cycle.
    """
    import ctypes
    import gc

    import torch

    if collect:
        gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    if sys.platform.startswith("linux"):
        try:  # glibc by its soname: ctypes.util.find_library would fork the whole process to run ldconfig
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
            pass


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries the course leans on, read without importing them."""
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def setup(
    seed: int,
    *,
    profile: str | None = None,
    lesson: str | None = None,
    device: str | None = None,
    threads: int | None = None,
    verbose: bool = True,
) -> Environment:
    """Prepare a lesson's kernel and print a short banner; returns the :class:`Environment`.

    ``profile`` overrides ``TLCOURSE_PROFILE`` and detection (:func:`start_profile`); later cells pass
    ``ENV.profile`` on. ``lesson`` (e.g. ``"00_map_of_transfer"``) checks at once that every asset the
    lesson needs is cached or can be built here, so a missing download stops the first cell, not the 30th.
    ``threads`` defaults to ``OMP_NUM_THREADS`` where it is set, else every available CPU (capped by them).
    """
    name, reason = start_profile(profile, has_gpu=_gpu_present())
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    quiet = in_ci()
    if quiet:
        for var in QUIET_VARS:
            os.environ[var] = "1"

    import torch

    cpus = available_cpus()
    n_threads = max(1, min(threads or _omp_threads() or cpus, cpus))
    torch.set_num_threads(n_threads)
    seed_everything(seed)
    chosen = pick_device(device)
    environment = Environment(
        profile=name, reason=reason, device=chosen, seed=seed, threads=n_threads, quiet=quiet
    )
    if verbose:
        print(banner(environment))
    if lesson is not None:
        from tlcourse import assets

        assets.require_lesson(lesson, profile=name)
    return environment


def banner(environment: Environment) -> str:
    """The few lines :func:`setup` prints: profile and why, device, versions, what the numbers mean."""
    import tlcourse
    from tlcourse import cache

    meaning = profiles.get(environment.profile).meaning
    versions = ", ".join(f"{k} {v}" for k, v in library_versions().items())
    return "\n".join(
        [
            f"tlcourse {tlcourse.__version__} | profile {environment.profile} ({environment.reason})"
            f" | device {environment.device}, {environment.threads} threads | seed {environment.seed}",
            versions,
            f"asset cache: {cache.root()}",
            f"What '{environment.profile}' means for your numbers: {meaning}",
        ]
    )


def _omp_threads() -> int | None:
    """``OMP_NUM_THREADS`` as a number where it is set (Binder's start script; test workers side by side)."""
    try:
        return int(os.environ.get("OMP_NUM_THREADS", "")) or None
    except ValueError:
        return None


def _gpu_present() -> bool:
    import torch

    return torch.cuda.is_available()
