"""The course's command line: ``python -m tlcourse {prepare,doctor,build-lessons,build-site,lab}``.

``prepare`` fetches or builds every asset of a profile (a teacher runs it before class); ``doctor``
reports environment, profile, cache and what is missing; ``build-lessons`` writes ``lessons/`` from
``solutions/``; ``build-site`` executes ``lessons/`` and builds the course's website; ``lab`` starts
JupyterLab on lesson 00.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FIRST_LESSON = "lessons/00_map_of_transfer.ipynb"


def _prepare(args: argparse.Namespace) -> int:
    from tlcourse import assets, cache, env

    profile, _ = env.start_profile(args.profile, detect=False)
    root = cache.root()
    if not cache.writable(root):
        what = "is a file, not a folder" if root.is_file() else "cannot be written by you"
        raise RuntimeError(
            f"The cache {root} {what}. Run prepare as the user who manages that cache, or set "
            f"{cache.ENV_VAR} "
            "to a folder you can write."
        )
    print(f"Preparing the {profile} profile into {root}" + (" (rebuilding everything)" if args.force else ""))
    rows = assets.prepare(profile, names=args.asset or None, force=args.force)
    width = max(len(row["asset"]) for row in rows)
    for row in rows:
        print(f"  {row['asset']:<{width}}  {row['status']:<10}  {row['megabytes']:8.1f} MB  {row['path']}")
    print(f"{len(rows)} assets ready, {sum(r['megabytes'] for r in rows):.1f} MB in all.")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from tlcourse import assets, cache, env, packaged

    name, reason = env.start_profile(args.profile)
    print(f"profile: {name} ({reason})")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in env.library_versions().items()))
    print(f"cpus available: {env.available_cpus()}")
    root = cache.root()
    access = "a file, not a folder" if root.is_file() else "writable" if cache.writable(root) else "read-only"
    print(f"asset cache: {root} ({access}; set {cache.ENV_VAR} to move it)")
    try:
        packaged.locate()
        print(f"packaged encoder: {packaged.DISTRIBUTION} {packaged.VERSION} installed")
    except packaged.PackagedModelError as error:
        print(f"packaged encoder: MISSING. {error}")
    print(f"assets of the {name} profile:")
    rows = assets.describe(name)
    for row in rows:
        print(f"  {row['asset']:<18} {row['state'].split(':')[0]:<19} {row['how']}: {row['source']}")
        print(f"  {'':<18} revision: {row['revision']}; licence: {row['licence']}")
        if row["state"].startswith("damaged"):
            print(f"  {'':<18} {row['state']}")
        if row.get("citation"):
            print(f"  {'':<18} cite: {row['citation']}")
    unpinned = [r["asset"] for r in rows if "none pinned" in r["revision"]]
    if unpinned:
        print(
            f"note: no citable revision is pinned for {', '.join(unpinned)}: downloads follow the hub's main "
            f"branch."
        )
    damaged = [r["asset"] for r in rows if r["state"].startswith("damaged")]
    missing = [r["asset"] for r in rows if r["state"] == "missing"]
    later = [r["asset"] for r in rows if r["state"] == "built on first use"]
    if damaged:
        fix = " ".join(f"--asset {a}" for a in damaged)
        print(f"{len(damaged)} damaged: run `{assets.prepare_command(name)} --force {fix}` to rebuild them.")
    if missing:
        print(f"{len(missing)} missing: run `{assets.prepare_command(name)}` to get them.")
    if later:
        print(
            f"{len(later)} built here on first use (about a minute in all; `prepare` builds them ahead of "
            f"time)."
        )
    if not (damaged or missing or later):
        print("everything this profile needs is cached.")
    return 0


def _build_lessons(args: argparse.Namespace) -> int:
    from tlcourse.authoring import exercises

    root = Path(args.root)
    problems = exercises.build_all(root, check=args.check)
    if args.check:
        for problem in problems:
            print(f"out of sync: {problem}")
        if problems:
            print("Run `python -m tlcourse build-lessons` and commit the result.")
            return 1
        print("lessons/ and solutions/ are in sync.")
        return 0
    for problem in problems:
        print(f"rewrote: {problem}")
    print(f"{len(problems)} change(s).")
    return 0


def _build_site(args: argparse.Namespace) -> int:
    from tlcourse.authoring import site

    cache = Path(args.cache) if args.cache else None
    summary = site.build(
        Path(args.root),
        Path(args.out),
        lessons=args.lesson,
        jobs=args.jobs,
        cache=cache,
        keep_source=args.keep,
    )
    print(
        f"{summary['pages']} pages ({len(summary['lessons'])} lessons executed in "
        f"{summary['seconds_execute']:.0f} s, Sphinx {summary['seconds_sphinx']:.0f} s, "
        f"{summary['megabytes']:.1f} MB) in {summary['out']}"
    )
    return 0


def free_port(start: int, *, host: str = "127.0.0.1", tries: int = 50) -> int:
    """The first port from ``start`` on that nothing listens on at ``host`` (JupyterLab's own retry would
    move silently to another port than the one printed)."""
    import socket

    for port in range(start, start + tries):
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(
        f"Ports {start} to {start + tries - 1} are all busy on {host}: pass --port with a free one."
    )


def lesson_url(host: str, port: int, token: str) -> str:
    """The address that opens lesson 00 in JupyterLab (the Launcher is what ``/lab`` alone opens)."""
    return f"http://{host}:{port}/lab/tree/{FIRST_LESSON}?token={token}"


def _lab(args: argparse.Namespace) -> int:
    import secrets

    root = Path(args.root)
    jupyter = shutil.which("jupyter", path=os.path.dirname(sys.executable)) or shutil.which("jupyter")
    if jupyter is None:
        print(
            "JupyterLab is not installed here: `pip install 'tlcourse[course]'`, or use the README's course "
            "command."
        )
        return 1
    port = free_port(args.port, host=args.ip)
    # The token travels in the environment, not on the command line that other users of the machine can read.
    token = os.environ.setdefault("JUPYTER_TOKEN", secrets.token_hex(24))
    command = [
        jupyter,
        "lab",
        f"--ServerApp.root_dir={root}",
        f"--ServerApp.ip={args.ip}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.default_url=/lab/tree/{FIRST_LESSON}",
    ]
    if args.no_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI machines often run as root
        command.append("--allow-root")
    if port != args.port:
        print(f"Port {args.port} is busy; using {port}.")
    print(f"Open lesson 00 at {lesson_url(args.ip, port, token)}", flush=True)
    print(
        "Ctrl-C twice stops JupyterLab; `bash setup.sh course` starts it again (nothing to install again).",
        flush=True,
    )
    os.chdir(root)
    os.execv(jupyter, command)  # become JupyterLab, so stopping this process stops the server
    return 0  # not reached


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m tlcourse", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prepare = commands.add_parser("prepare", help="build or download every asset a profile needs")
    prepare.add_argument("--profile", help="tiny, small or full (default: TLCOURSE_PROFILE, else tiny)")
    prepare.add_argument("--asset", action="append", help="only this asset (repeatable)")
    prepare.add_argument(
        "--force", action="store_true", help="rebuild or download again, even what is cached"
    )
    prepare.set_defaults(run=_prepare)
    doctor = commands.add_parser("doctor", help="report environment, profile, cache and what is missing")
    doctor.add_argument("--profile", help="check this profile (default: TLCOURSE_PROFILE, else detected)")
    doctor.set_defaults(run=_doctor)
    build = commands.add_parser("build-lessons", help="write lessons/ from solutions/")
    build.add_argument("--check", action="store_true", help="change nothing; fail if anything is out of sync")
    build.add_argument("--root", default=str(REPO_ROOT), help="the repository (default: this checkout)")
    build.set_defaults(run=_build_lessons)
    site = commands.add_parser("build-site", help="execute lessons/ in tiny and build the course's website")
    site.add_argument("--root", default=str(REPO_ROOT), help="the repository (default: this checkout)")
    site.add_argument("--out", default=str(REPO_ROOT / "_build" / "site"), help="default: _build/site")
    site.add_argument(
        "--lesson", action="append", help="only this lesson, e.g. 00 (repeatable; default: all)"
    )
    site.add_argument("--jobs", type=int, default=2, help="lessons executed at once (default: 2)")
    site.add_argument("--cache", help="reuse this asset cache (default: a fresh one, removed afterwards)")
    site.add_argument("--keep", action="store_true", help="keep the executed copies (OUT-source/)")
    site.set_defaults(run=_build_site)
    lab = commands.add_parser("lab", help="start JupyterLab on lesson 00")
    lab.add_argument("--root", default=str(REPO_ROOT))
    lab.add_argument("--ip", default="127.0.0.1", help="address to listen on (default: loopback only)")
    lab.add_argument("--port", type=int, default=8888)
    lab.add_argument("--no-browser", action="store_true")
    lab.set_defaults(run=_lab)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ModuleNotFoundError as error:  # e.g. a bare `python` that is not the course's environment
        if os.environ.get("TLCOURSE_DEBUG"):
            raise
        print(
            f"error: this Python ({sys.executable}) lacks {error.name!r}, which the course needs. Use the "
            f"Python "
            "the course was installed into: after `bash setup.sh course` that is `.venv/bin/python -m "
            "tlcourse "
            f"{args.command}` in the checkout (on a JupyterHub, the hub's environment).",
            file=sys.stderr,
        )
        return 2
    except Exception as error:  # the commands' errors say what to do; no traceback for a learner
        if os.environ.get("TLCOURSE_DEBUG"):
            raise
        from tlcourse import profiles

        message = (
            error.args[0] if isinstance(error, KeyError) and error.args else str(error)
        )  # no repr quotes
        if isinstance(error, profiles.UnknownProfileError) and getattr(args, "profile", None) is not None:
            message = f"{message.split(' Set ')[0]} Pass one of them to --profile."
        print(f"error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
