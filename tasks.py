#!/usr/bin/env python3
"""Set-up and everyday tasks with nothing but Python 3.11+ and pip: `python3 tasks.py demo|test|lint`.

Each task creates `.venv` on first use and installs lerconnect, the built-in plugins and the test
tools into it (editable), then runs. Extra arguments go to the underlying command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("LERCONNECT_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PLUGINS = sorted(p for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file())
STAMP = VENV / ".lerconnect-installed"


# setuptools tells every editable install, at length, that folders named like the package could
# shadow it: true of any editable install, and noise here, so the build backends are told to hush.
QUIET_BUILD = {**os.environ, "PYTHONWARNINGS": "ignore:Editable installation"}


def _run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    code = subprocess.call([str(a) for a in args], cwd=ROOT, env=env)  # noqa: S603 - our own venv tools
    if code:
        sys.exit(code)


def install() -> None:
    """Create the venv and install everything, unless nothing changed since the last install."""
    if sys.version_info < (3, 11):  # noqa: UP036 - tasks.py may be started by any python3
        sys.exit(f"lerconnect needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    inputs = [ROOT / "pyproject.toml", *(p / "pyproject.toml" for p in PLUGINS)]
    if STAMP.exists() and all(f.stat().st_mtime <= STAMP.stat().st_mtime for f in inputs):
        return
    if not (BIN / "python").exists():
        print(f"Creating {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    pip = [BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run(*pip, "--upgrade", "pip")
    editable = [arg for plugin in PLUGINS for arg in ("-e", plugin)]
    print("Installing lerconnect and its plugins", flush=True)
    _run(*pip, "-e", f"{ROOT}[postgres,distributed,test]", *editable, env=QUIET_BUILD)
    STAMP.touch()


def install_verifiers() -> None:
    """The npm verifiers the interop tests use (Digital Bazaar, LearnCard), exactly as locked.

    Without Node.js the interop tests skip and say why; nothing else needs it. A lock newer than
    the installed tree (npm's node_modules/.package-lock.json) installs again, so an added verifier
    reaches worktrees that already had node_modules.
    """
    folder = ROOT / "tests" / "interop"
    installed = folder / "node_modules" / ".package-lock.json"
    current = installed.is_file() and installed.stat().st_mtime >= (folder / "package-lock.json").stat().st_mtime
    if current or shutil.which("npm") is None:
        return
    print("Installing the npm verifiers (tests/interop)", flush=True)
    code = subprocess.call(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder)  # noqa: S607
    if code:
        sys.exit(code)


def main(argv: list[str]) -> None:
    task, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if task == "install":
        install()
    elif task == "demo":
        install()
        _run(BIN / "lerconnect", "demo", *(rest or ["--learners", "200", "--db", "lerconnect-demo.db"]))
    elif task == "test":
        install()
        install_verifiers()
        _run(BIN / "python", "-m", "pytest", "-n", os.environ.get("LERCONNECT_TEST_WORKERS", "2"), *rest)
    elif task == "lint":
        install()
        _run(BIN / "ruff", "check", ".")
        _run(BIN / "ruff", "format", "--check", ".")
    else:
        print(__doc__)
        sys.exit(0 if task == "help" else 2)


if __name__ == "__main__":
    main(sys.argv[1:])
