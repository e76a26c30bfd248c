"""Every key of a plugin's `Config` model, with type, default, secrecy and description.

What `lerconnect plugins --settings NAME` prints, read from the model itself (field descriptions
and attribute docstrings), so the list cannot drift from what the config accepts.
"""

from __future__ import annotations

import enum
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from connector_core.source import Regex


@dataclass(frozen=True)
class SettingDoc:
    key: str
    type: str
    default: Any
    required: bool
    secret: bool
    description: str


def _args(annotation: Any) -> tuple[Any, ...]:
    return tuple(a for a in get_args(annotation) if a is not type(None))


def _is_optional(annotation: Any) -> bool:
    return get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in get_args(annotation)


def type_name(annotation: Any) -> str:
    """A short, readable name: `str`, `int | None`, `one of "a", "b"`, `list[str]`."""
    origin = get_origin(annotation)
    if origin is Annotated:  # IdText, Regex(...): the value is written as its base type
        base, *marks = get_args(annotation)
        return "regular expression" if any(isinstance(m, Regex) for m in marks) else type_name(base)
    if origin is Literal:
        return "one of " + ", ".join(f'"{a}"' if isinstance(a, str) else repr(a) for a in get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        names = [type_name(a) for a in _args(annotation)]
        return " | ".join(names) + (" | None" if _is_optional(annotation) else "")
    if origin is not None:
        inner = ", ".join(type_name(a) for a in get_args(annotation) if a is not Ellipsis)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    if annotation is SecretStr:
        return "str (secret)"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "one of " + ", ".join(f'"{m.value}"' for m in annotation)
    return getattr(annotation, "__name__", str(annotation))


def _is_secret(annotation: Any) -> bool:
    return annotation is SecretStr or any(_is_secret(a) for a in get_args(annotation))


def _model_of(annotation: Any) -> type[BaseModel] | None:
    candidates = _args(annotation) if get_origin(annotation) in (typing.Union, types.UnionType) else (annotation,)
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _dict_of_model(annotation: Any) -> type[BaseModel] | None:
    if get_origin(annotation) is dict:
        return _model_of(get_args(annotation)[1])
    return None


def _default(info: FieldInfo) -> tuple[Any, bool]:
    if info.default is not PydanticUndefined:
        value = info.default
    elif info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
    else:
        return None, True
    if isinstance(value, BaseModel):
        return None, False  # its own keys are listed below it
    return getattr(value, "value", value), False


def settings_of(model: type[BaseModel], prefix: str = "") -> list[SettingDoc]:
    """The keys of `model` (nested tables as dotted keys, `<name>` for a table of tables)."""
    out: list[SettingDoc] = []
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation = info.annotation
        nested, mapped = _model_of(annotation), _dict_of_model(annotation)
        default, required = _default(info)
        description = (info.description or "").strip()
        if nested is not None:
            out.append(SettingDoc(key, "table", None, required, False, description or (nested.__doc__ or "").strip()))
            out.extend(settings_of(nested, key + "."))
            continue
        if mapped is not None:
            out.append(SettingDoc(key, "table of tables", None, required, False, description))
            out.extend(settings_of(mapped, f"{key}.<name>."))
            continue
        shown = type_name(Annotated[annotation, *info.metadata] if info.metadata else annotation)
        out.append(SettingDoc(key, shown, default, required, _is_secret(annotation), description))
    return out
