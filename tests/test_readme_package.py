"""The README's plugin is a package that installs as written and loads through its entry point (§12)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PIP_INSTALL = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check"]


def test_readme_quotes_the_package_metadata_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert (EXAMPLES / "pyproject.toml").read_text(encoding="utf-8").strip() in readme
    metadata = tomllib.loads((EXAMPLES / "pyproject.toml").read_text(encoding="utf-8"))
    assert metadata["build-system"]["build-backend"] == "setuptools.build_meta"
    assert metadata["project"]["name"] and metadata["project"]["entry-points"]["lerconnect"]


@pytest.mark.slow
def test_the_example_package_installs_and_loads_through_its_entry_point(tmp_path: Path) -> None:
    package = tmp_path / "engage-plugin"
    shutil.copytree(EXAMPLES, package, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    target = tmp_path / "site"
    install = subprocess.run(
        [*PIP_INSTALL, "--target", str(target), str(package)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    probe = (
        "import json; from connector_core.plugins import load_registry; r = load_registry(); "
        "print(json.dumps({'sources': {n: c.__module__ for n, c in r.sources.items()}, "
        "'plugins': {p.name: p.version for p in r.plugins}, 'aside': [a.reason for a in r.set_aside]}))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, env=env, cwd=tmp_path
    )
    assert loaded.returncode == 0, loaded.stderr
    found = json.loads(loaded.stdout.splitlines()[-1])
    assert found["sources"]["engage"] == "engage_plugin" and found["plugins"]["engage"] == "0.1.0"
    assert found["aside"] == []
