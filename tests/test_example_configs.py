"""The example configurations in config/ load: settings parse, each source table fits its plugin.

A table whose plugin is not installed yet is skipped, naming the plugin, so the check starts to
bite the day that plugin lands.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connector_core.config import load_settings, source_config
from connector_core.plugins import default_registry

CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"
EXAMPLES = sorted(CONFIG_DIR.glob("*.toml"))
EXPECTED = {"banner-canvas-workday.toml", "peoplesoft-canvas.toml", "files-pilot.toml"}


def _load(path: Path, monkeypatch: pytest.MonkeyPatch):
    for name in set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", path.read_text())):
        monkeypatch.setenv(name, f"example-{name.lower()}")
    return load_settings(path)


def test_every_campus_shape_has_an_example() -> None:
    assert {p.name for p in EXAMPLES} >= EXPECTED


def _tables() -> list[tuple[Path, str, str]]:
    out = []
    for path in EXAMPLES:
        plugins = re.findall(r'^\[sources\.([\w-]+)\]\s*\nplugin = "(\w+)"', path.read_text(), flags=re.M)
        out += [(path, name, plugin) for name, plugin in plugins]
    return out


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_settings_parse(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _load(path, monkeypatch)
    assert settings.sources and {t[1] for t in _tables() if t[0] == path} == set(settings.sources)


@pytest.mark.parametrize(("path", "name", "plugin"), _tables(), ids=lambda v: v.name if isinstance(v, Path) else v)
def test_each_source_table_validates_against_its_plugin(
    path: Path, name: str, plugin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = default_registry()
    if plugin not in registry.sources:
        pytest.skip(f"plugin {plugin!r} is not installed yet: [sources.{name}] of {path.name} is checked once it is")
    settings = _load(path, monkeypatch)
    cls = registry.source_class(plugin)
    config = source_config(settings, name, cls.Config)
    unknown = set(config.streams or ()) - set(cls.streams)
    assert not unknown, f"{path.name}: [sources.{name}].streams names {unknown}, not among {cls.streams}"
