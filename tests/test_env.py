"""env.setup: offline before any Hugging Face import, seeds, threads, quiet under CI, a banner."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from conftest import subprocess_env

from tlcourse import env

PROBE = textwrap.dedent(
    """
    import json, os, sys, random
    from tlcourse import env
    before = sorted(m for m in ("transformers", "datasets", "huggingface_hub") if m in sys.modules)
    ENV = env.setup(seed=7, threads=64)
    import torch, numpy
    after_setup = {m: m in sys.modules for m in ("transformers", "datasets")}
    import huggingface_hub.constants as hub
    import datasets
    print(json.dumps({
        "before": before,
        "imported_by_setup": after_setup,
        "offline": {v: os.environ.get(v) for v in env.OFFLINE_VARS},
        "hub_offline": hub.HF_HUB_OFFLINE,
        "datasets_offline": datasets.config.HF_HUB_OFFLINE,
        "tqdm_disable": os.environ.get("TQDM_DISABLE"),
        "threads": torch.get_num_threads(),
        "cpus": env.available_cpus(),
        "draws": [random.random(), float(numpy.random.rand()), float(torch.rand(1))],
        "profile": ENV.profile, "device": ENV.device,
    }))
    """
)


def _probe(**extra):
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        env=subprocess_env(**extra),
    )
    assert result.returncode == 0, result.stderr
    banner, _, payload = result.stdout.rpartition("\n{")
    return banner, json.loads("{" + payload)


def test_tiny_is_offline_seeded_and_capped():
    banner, report = _probe(TLCOURSE_PROFILE="tiny", CI="true")
    assert report["before"] == []
    assert report["imported_by_setup"] == {"transformers": False, "datasets": False}
    assert set(report["offline"].values()) == {"1"}
    assert report["hub_offline"] is True and report["datasets_offline"] is True
    assert report["tqdm_disable"] == "1"
    assert report["threads"] == report["cpus"]  # 64 asked, capped to the machine
    assert report["profile"] == "tiny" and report["device"] in ("cpu", "cuda", "mps")
    assert "profile tiny" in banner and "torch" in banner and "What 'tiny' means" in banner
    _, again = _probe(TLCOURSE_PROFILE="tiny", CI="true")
    assert again["draws"] == report["draws"]  # the same seed, the same numbers


def test_threads_follow_omp_num_threads_unless_asked():
    """Test workers side by side (setup.sh's TLCOURSE_TEST_WORKERS) and Binder set OMP_NUM_THREADS."""
    code = "from tlcourse import env; import torch; "
    code += "env.setup(seed=0, verbose=False); print(torch.get_num_threads())"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=subprocess_env(TLCOURSE_PROFILE="tiny", OMP_NUM_THREADS="1"),
    )
    assert out.stdout.split()[-1] == "1"


def test_not_quiet_outside_ci():
    _, report = _probe(TLCOURSE_PROFILE="tiny", CI="")
    assert report["tqdm_disable"] is None


def test_unknown_lesson_and_profile_are_explained(monkeypatch):
    monkeypatch.setenv("TLCOURSE_PROFILE", "tiny")
    with pytest.raises(KeyError, match="Known lessons"):
        env.setup(seed=0, lesson="99_nothing", verbose=False)
    with pytest.raises(ValueError, match="Valid profiles"):
        env.setup(seed=0, profile="medium", verbose=False)


def test_generator_is_seeded(monkeypatch):
    monkeypatch.setenv("TLCOURSE_PROFILE", "tiny")
    environment = env.setup(seed=3, verbose=False)
    assert environment.generator().initial_seed() == 3
    assert environment.generator(offset=2).initial_seed() == 5


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim: Linux only")
def test_release_memory_gives_freed_heap_memory_back():
    """Tensors freed between kept ones leave holes that glibc keeps; release_memory returns them (lesson 05,
    Binder)."""
    code = (
        "import psutil, torch\n"
        "from tlcourse import env\n"
        "rss = lambda: psutil.Process().memory_info().rss / 2**20\n"
        "kept, freed = [], []\n"
        "for i in range(4000):\n"
        "    (kept if i % 10 == 0 else freed).append(torch.ones(16 * 1024))  # 64 KB each: from the heap, "
        "not mmap\n"
        "freed.clear()\n"
        "before = rss(); env.release_memory(); print(before, rss())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=subprocess_env()
    )
    before, after = map(float, out.stdout.split())
    assert before - after > 100, (before, after)  # about 225 MB of the 250 MB freed come back
