"""Plugin loading through real entry points: broken plugins are set aside by name, others still load."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector_core.cli import cli
from connector_core.plugins import default_registry, load_registry

GOOD = """
from connector_core import Page, Source, hookimpl

class Good(Source):
    name = "good"
    streams = ("grades",)
    def check(self): return "ok"
    def pull(self, stream, cursor): yield Page([])
    def normalize(self, stream, raw): return []

@hookimpl
def lerconnect_register_sources(register):
    register(Good)
"""
OLD_CONTRACT = GOOD.replace('name = "good"', 'name = "ancient"\n    contract = 0').replace("Good", "Ancient")
NO_PULL = """
from connector_core import Source, hookimpl

class Lazy(Source):
    name = "lazy"
    streams = ("grades",)
    def check(self): return "ok"
    def normalize(self, stream, raw): return []

@hookimpl
def lerconnect_register_sources(register):
    register(Lazy)
"""
IMPORT_FAILS = "raise ImportError('needs the vendor SDK: pip install vendor-sdk')\n"


@pytest.fixture
def installed(tmp_path: Path, monkeypatch) -> Path:
    """Four plugins 'installed' as real distributions (dist-info with entry points) on sys.path."""
    for name, code in {"good": GOOD, "ancient": OLD_CONTRACT, "lazy": NO_PULL, "broken": IMPORT_FAILS}.items():
        (tmp_path / f"lc_test_{name}.py").write_text(textwrap.dedent(code))
        info = tmp_path / f"lc_test_{name}-1.2.3.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: lc-test-{name}\nVersion: 1.2.3\n")
        (info / "entry_points.txt").write_text(f"[lerconnect]\n{name} = lc_test_{name}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in ("good", "ancient", "lazy", "broken"):
        sys.modules.pop(f"lc_test_{name}", None)


def test_broken_plugins_are_set_aside_with_the_reason(installed: Path) -> None:
    registry = load_registry()
    assert "good" in registry.sources and "files" in registry.sources
    reasons = {aside.name.split(":")[0]: aside.reason for aside in registry.set_aside}
    assert "targets plugin contract 0" in reasons["ancient"]
    assert "does not implement `pull()`" in reasons["lazy"]
    assert "needs the vendor SDK" in reasons["broken"]
    assert {"ancient", "lazy", "broken"}.isdisjoint(registry.sources)
    good = next(p for p in registry.plugins if p.name == "good")
    assert good.version == "1.2.3" and good.sources == ("good",)


def test_plugins_command_lists_sources_streams_and_set_aside(installed: Path, monkeypatch) -> None:
    default_registry.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["plugins"])
    finally:
        default_registry.cache_clear()
    assert result.exit_code == 0, result.output
    assert "good 1.2.3" in result.output and "source good: streams grades" in result.output
    assert "set aside: broken" in result.output


def test_an_unknown_plugin_in_config_names_what_is_installed(tmp_path: Path) -> None:
    config = tmp_path / "lerconnect.toml"
    config.write_text('[sources.lms]\nplugin = "moodle"\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "check"])
    assert result.exit_code == 2  # a configuration problem
    assert "no installed plugin provides source 'moodle'" in result.output and "files" in result.output
