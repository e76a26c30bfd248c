"""Config errors name the file, the key and the fix: the messages are part of the user interface."""

from __future__ import annotations

from pathlib import Path

import example_source
import pytest

from connector_core.config import ConfigError, load_settings, source_config
from connector_core.engine import SyncEngine
from connector_core.plugins import load_registry
from connector_core.store import Store


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "lerconnect.toml"
    path.write_text(body, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    return str(caught.value)


def test_a_good_file_loads_with_env_and_file_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "token").write_text("s3cret-from-file\n")
    monkeypatch.setenv("LERCONNECT_TEST_HOST", "lms.example.edu")
    path = write(
        tmp_path,
        """
[scheduler]
timezone = "America/Chicago"

[sources.lms]
plugin = "example"
base_url = "https://${LERCONNECT_TEST_HOST}/api"
token = "file:secrets/token"
schedule = "0 2 * * *"
""",
    )
    settings = load_settings(path)
    config = source_config(settings, "lms", example_source.ExampleConfig)
    assert settings.path == path and settings.scheduler.timezone == "America/Chicago"
    assert config.base_url == "https://lms.example.edu/api"
    assert config.token.get_secret_value() == "s3cret-from-file", "relative to the config file, stripped"
    assert "s3cret" not in repr(config)


def test_missing_plugin_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[sources.lms]\nbase_url = "https://lms"\n')
    assert error_of(path) == (
        f"{path}: [sources.lms].plugin is required but missing: say which plugin "
        f'serves it, e.g. plugin = "canvas" (see `lerconnect plugins`)'
    )


def test_missing_source_key_is_named_by_the_plugins_model(tmp_path: Path) -> None:
    path = write(tmp_path, '[sources.lms]\nplugin = "example"\nbase_url = "https://lms"\n')
    settings = load_settings(path)
    with pytest.raises(ConfigError) as caught:
        source_config(settings, "lms", example_source.ExampleConfig)
    assert str(caught.value) == f"{path}: [sources.lms].token is required but missing: add it"


def test_engine_reports_a_missing_source_key_with_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[sources.lms]\nplugin = "example"\ntoken = "t"\n')
    engine = SyncEngine(
        Store(f"sqlite:///{tmp_path / 'db.sqlite'}"),
        load_registry(extra_modules=(example_source,)),
        load_settings(path),
    )
    with pytest.raises(ConfigError, match=r"\[sources\.lms\]\.base_url is required but missing") as caught:
        engine.make_source("lms")
    assert str(caught.value).startswith(f"{path}: ")


def test_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path, '[scheduler]\nmisfire_grace_seconds = "soon"\n')
    assert error_of(path) == (
        f"{path}: scheduler.misfire_grace_seconds input should be a valid integer, "
        f"unable to parse string as an integer (got 'soon')"
    )


def test_wrong_type_in_a_source_table(tmp_path: Path) -> None:
    path = write(tmp_path, '[sources.lms]\nplugin = "example"\nbase_url = "u"\ntoken = "t"\npage_size = "many"\n')
    with pytest.raises(ConfigError) as caught:
        source_config(load_settings(path), "lms", example_source.ExampleConfig)
    assert str(caught.value).startswith(f"{path}: [sources.lms].page_size input should be a valid integer")
    assert "(got 'many')" in str(caught.value)


def secret_error_of(path: Path) -> str:
    """Secrets are read where used: loading works, using the source raises the error."""
    settings = load_settings(path)
    with pytest.raises(ConfigError) as caught:
        source_config(settings, "lms", example_source.ExampleSource.Config)
    return str(caught.value)


def test_unset_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LERCONNECT_TEST_UNSET", raising=False)
    path = write(tmp_path, '[sources.lms]\nplugin = "example"\ntoken = "${LERCONNECT_TEST_UNSET}"\n')
    assert secret_error_of(path) == (
        f"{path}: [sources.lms].token uses ${{LERCONNECT_TEST_UNSET}}, which is not set: "
        f"export LERCONNECT_TEST_UNSET=… before running, or use file:/path/to/secret"
    )


def test_unreadable_file_secret(tmp_path: Path) -> None:
    path = write(tmp_path, '[sources.lms]\nplugin = "example"\ntoken = "file:missing/token"\n')
    assert secret_error_of(path) == (
        f"{path}: [sources.lms].token points to {tmp_path / 'missing' / 'token'}, "
        f"which cannot be read (No such file or directory): fix the path or the "
        f"file's permissions"
    )


def test_unknown_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[store]\nuri = "lerconnect.db"\n')
    assert error_of(path) == f"{path}: store.uri is not a known setting: check the spelling against `lerconnect init`"


def test_unknown_key_in_a_source_table(tmp_path: Path) -> None:
    path = write(tmp_path, '[sources.lms]\nplugin = "example"\nbase_url = "u"\ntoken = "t"\nbase_ulr = "x"\n')
    with pytest.raises(ConfigError) as caught:
        source_config(load_settings(path), "lms", example_source.ExampleConfig)
    assert str(caught.value) == (
        f"{path}: [sources.lms].base_ulr is not a known setting: check the spelling against `lerconnect init`"
    )


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, '[store]\nuri = "x"\n[scheduler]\nmisfire_grace_seconds = 0\n')
    lines = error_of(path).splitlines()
    assert len(lines) == 2 and all(line.startswith(f"{path}: ") for line in lines)
    assert any(
        "scheduler.misfire_grace_seconds input should be greater than or equal to 1 (got 0)" in line for line in lines
    )


def test_bad_toml(tmp_path: Path) -> None:
    path = write(tmp_path, '[sources.lms]\nplugin = "example\n')
    message = error_of(path)
    assert message.startswith(f"{path}: not valid TOML (")
    assert "line 2" in message and message.endswith("): fix the syntax at that line")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    assert error_of(path) == f"{path}: no such config file: create one with `lerconnect init {path}`"


def test_privacy_policy_is_read_and_a_wrong_identifier_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, '[issuer.privacy]\nshow_name = true\nidentifiers = ["institution_id", "email"]\n')
    privacy = load_settings(path).issuer.privacy
    assert (privacy.show_name, privacy.identifiers, privacy.all_identifiers) == (
        True,
        ("institution_id", "email"),
        False,
    )
    message = error_of(write(tmp_path, '[issuer.privacy]\nidentifiers = ["phone"]\n'))
    assert message.startswith(
        f"{path}: issuer.privacy.identifiers.0 input should be 'did', 'email' or 'institution_id'"
    )


def test_a_table_level_error_does_not_echo_the_table_and_its_secrets(tmp_path: Path) -> None:
    from pydantic import BaseModel, SecretStr, ValidationError, model_validator

    from connector_core.config import format_validation

    class Table(BaseModel):
        api_key: SecretStr
        mode: str = "ethos"

        @model_validator(mode="after")
        def needs_base_url(self) -> Table:
            raise ValueError("mode banner9 needs base_url")

    try:
        Table.model_validate({"api_key": "s3cret-key", "mode": "banner9"})
    except ValidationError as exc:
        message = format_validation("lerconnect.toml", exc, ("sources", "sis"))
    assert "needs base_url" in message and "s3cret-key" not in message
