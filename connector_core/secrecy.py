"""The one secret rule: a config model's `SecretStr` fields are its secrets, whatever their names.

A source's `Config` (and the issuer's settings) say what is secret by typing a field `SecretStr`;
those values, and only those, are masked in logs and run history (and pydantic shows them as
`**********` in any dump of a validated config). Key names are
never guessed at: `api_credential` may be a secret and `token_url` is not.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from connector_core import logs
from connector_core.config import Settings
from connector_core.plugins import Registry


def _walk(value: Any) -> Iterator[str]:
    if isinstance(value, SecretStr):
        yield value.get_secret_value()
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _walk(getattr(value, name))
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _walk(item)


def secret_values(model: BaseModel) -> list[str]:
    """Every `SecretStr` value in `model`, nested models, dicts and lists included."""
    return [value for value in _walk(model) if value]


def register_secrets(model: BaseModel) -> None:
    """Mask the model's secrets in every log line and stored run error from now on."""
    for value in secret_values(model):
        logs.register_secret(value)


def secret_fields(model: type[BaseModel]) -> set[str]:
    """The top-level field names of `model` typed `SecretStr` (optional or not)."""
    out = set()
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if annotation is SecretStr or SecretStr in getattr(annotation, "__args__", ()):
            out.add(name)
    return out


def register_config_secrets(settings: Settings, registry: Registry) -> None:
    """Register the secrets of the issuer, of `serve`, of `delivery` and of every source whose plugin is installed.

    A table that does not validate is left to the command that uses it, which reports why.
    """
    if settings.issuer is not None:
        register_secrets(settings.issuer)
    register_secrets(settings.serve)
    if settings.delivery is not None:
        register_secrets(settings.delivery)
    for table in settings.sources.values():
        cls = registry.sources.get(table.get("plugin"))
        if cls is None:
            continue
        try:
            register_secrets(cls.Config.model_validate(table))
        except ValidationError:
            continue
