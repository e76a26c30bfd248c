"""`lerconnect plugins --settings NAME` lists every config key from the plugin's own model (issue 8 §13)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from operator_project import run

from connector_core.plugins import default_registry
from connector_core.settings_doc import settings_of

ROOT = Path(__file__).resolve().parents[1]


def test_canvas_settings_name_type_default_secrecy_and_description() -> None:
    code, out, _ = run("plugins", "--settings", "canvas", "--json")
    keys = {d["key"]: d for d in json.loads(out)}
    assert code == 0
    assert keys["token"]["secret"] and keys["token"]["required"] and "access token" in keys["token"]["description"]
    assert keys["per_page"] == {
        "key": "per_page",
        "type": "int",
        "default": 100,
        "required": False,
        "secret": False,
        "description": "Page size asked of every list endpoint (Canvas caps it at 100).",
    }
    assert keys["learner_id"]["type"].startswith('one of "sis_user_id"')
    assert "cocurricular.course_code_pattern" in keys and not keys["base_url"]["secret"]
    code, out, _ = run("plugins", "--settings", "canvas")
    assert "  token (str (secret); required, secret: write ${VAR} or file:PATH)" in out


def test_files_settings_list_the_nested_tables() -> None:
    code, out, _ = run("plugins", "--settings", "files")
    assert code == 0 and "files.<name>.columns.record_id (str; required)" in out
    assert 'files.<name>.date_format (str; default "%Y-%m-%d")' in out


def test_unknown_plugin_is_named() -> None:
    code, _, err = run("plugins", "--settings", "nosuch")
    assert code == 2 and "no installed plugin provides source 'nosuch'" in err  # a configuration problem


@pytest.mark.parametrize("name", ["canvas", "files"])
def test_every_key_of_a_built_in_plugin_is_described_and_the_plugin_has_a_readme(name: str) -> None:
    undocumented = [d.key for d in settings_of(default_registry().sources[name].Config) if not d.description]
    assert undocumented == []
    readme = ROOT / "plugins" / name / "README.md"
    assert readme.is_file() and "lerconnect plugins --settings " + name in readme.read_text()
