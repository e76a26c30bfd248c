"""The `Source` base class a plugin subclasses, the `Page` it yields, and the errors it raises.

A cursor is the plugin's own JSON-serializable value: the engine saves the cursor of each page in
the same transaction as the page's records and hands the last saved one back to `pull`. A run that
starts with `cursor=None` is a full sync: records the source no longer returns are withdrawn.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

from connector_core.model import LearningRecord, Tombstone

if TYPE_CHECKING:
    from connector_core.sandbox.campus import Campus

CONTRACT_VERSION = 1
"""Bumped when the plugin contract changes incompatibly; a plugin declares the one it targets."""

Cursor = Any


@dataclass(frozen=True)
class Page:
    """One batch of raw source records and the cursor to save once they are stored.

    `covers` names the terms (as normalized records spell `term`) this page's sweep reads in full.
    A full pass whose pages name terms withdraws unseen records of those terms only; one whose pages
    name none withdraws every unseen record of the stream.
    """

    records: list[Mapping[str, Any]]
    cursor: Cursor = None
    covers: tuple[str, ...] = ()
    total: int | None = None
    """How many pages this pull yields in all, when the source knows (Canvas: one per course); progress bars use it."""


class SourceError(Exception):
    """Base of errors a source raises; the message says what failed and how to fix it."""


class SourceAuthError(SourceError):
    """Credentials were refused (bad token, wrong password): stop the run, no retry."""


class SourcePermissionError(SourceError):
    """Authenticated, but not allowed to read an endpoint: the message names endpoint and permission."""


class SourceUnavailable(SourceError):
    """The system did not answer usefully after retries (timeouts, 5xx, throttling)."""


class RecordError(ValueError):
    """A raw record cannot be normalized; it goes to the dead-letter table with `field` and reason."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _id_as_text(value: object) -> object:
    """Campus systems' ids are integers as often as text (Canvas `account_id = 1`): take both, keep text."""
    if isinstance(value, bool | float):
        raise ValueError(f'{value!r} is not an id: write it as a whole number or as text, e.g. 1 or "self"')
    return str(value) if isinstance(value, int) else value


IdText = Annotated[str, BeforeValidator(_id_as_text)]
"""A config value naming something by id: `1`, `"1"`, `"self"` or `"sis_account_id:X"` all load as text."""


@dataclass(frozen=True)
class Regex:
    """Marks a config text as a regular expression: `pattern: Annotated[str, Regex(groups=1)]`.

    One that does not compile, or lacks the capture groups the plugin reads, is refused when the
    config loads (the error names the key), not when the first record meets it.
    """

    groups: int | None = None
    """Exactly this many capture groups."""
    named: tuple[str, ...] = ()
    """These named groups, e.g. `("subject", "number")`."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def check(self, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from None
        if self.groups is not None and compiled.groups != self.groups:
            wanted = "one (group)" if self.groups == 1 else f"{self.groups} (group)s"
            raise ValueError(f"{value!r} needs exactly {wanted} capturing what is read; it has {compiled.groups}")
        missing = [name for name in self.named if name not in compiled.groupindex]
        if missing:
            raise ValueError(f"{value!r} needs the named groups " + " and ".join(f"(?P<{n}>…)" for n in missing))
        return value


class SourceConfig(BaseModel):
    """Base of every source's `Config`: unknown keys are errors so typos are caught."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    plugin: str
    """The installed plugin that serves this source (see `lerconnect plugins`)."""
    schedule: str | None = None
    """When `lerconnect run` syncs it: a crontab in [scheduler].timezone, e.g. "0 2 * * *"."""
    streams: list[str] | None = None
    """Only these streams (default: every stream the plugin offers)."""


@dataclass
class SourceContext:
    """What the engine tells a source instance: its configured name, its plugin, where the config is."""

    name: str
    plugin: str
    plugin_version: str
    base_dir: Path = field(default_factory=Path.cwd)


class Source:
    """A campus system. Subclass it, set `name`, `Config`, `streams`, implement the methods.

    `check`, `pull` and `normalize` are called by the engine; `sandbox` by the demo and tests.
    """

    name: ClassVar[str]
    """The plugin name users put in config as `plugin = "<name>"`."""
    Config: ClassVar[type[SourceConfig]] = SourceConfig
    streams: ClassVar[tuple[str, ...]] = ()
    contract: ClassVar[int] = CONTRACT_VERSION

    def __init__(self, config: SourceConfig, context: SourceContext) -> None:
        self.config = config
        self.context = context
        self._warned: set[str] = set()

    def warn_once(self, key: str, message: str) -> None:
        """Log a configuration gap once per run (the key says which), not once per record."""
        if key not in self._warned:
            self._warned.add(key)
            logging.getLogger(f"lerconnect.{self.name}").warning(
                "%s source %s: %s", self.name, self.context.name, message
            )

    def check(self) -> str:
        """Make one cheap authenticated call; return a one-line description or raise SourceError."""
        raise NotImplementedError

    def pull(self, stream: str, cursor: Cursor) -> Iterator[Page]:
        """Yield pages of raw records for `stream`, starting after `cursor` (None = everything).

        A source whose `partitions(stream)` names partitions is called as
        `pull(stream, cursor, partition=key)` once per partition, with that partition's own cursor.
        """
        raise NotImplementedError

    def partitions(self, stream: str) -> list[str] | None:
        """Optional: split `stream` into independent partitions (a term, a course, a file, a page range).

        Return their keys (distinct, non-empty text), or None (the default) to sync the stream whole.
        Each partition is pulled on its own (`pull(stream, cursor, partition=key)`), has its own
        cursor and checkpoint, and may run on another worker at the same time as the others. A
        stream's full pass completes, and withdraws what it did not see, only once every partition
        has finished. Partitions must not share records: a record belongs to one partition.
        """
        return None

    def normalize(self, stream: str, raw: Mapping[str, Any]) -> Iterable[LearningRecord | Tombstone]:
        """Turn one raw record into LER records; raise `RecordError` naming the bad field."""
        raise NotImplementedError

    def check_stream(self, stream: str) -> None:
        """Refuse, naming the ones it offers, a stream this source does not have (call it first in `pull`)."""
        if stream not in self.streams:
            raise SourceError(f"{self.name} has no stream {stream!r}; its streams are {', '.join(self.streams)}")

    def active_streams(self) -> tuple[str, ...]:
        """The streams this configured instance syncs: all of `streams`, or those the config lists."""
        wanted = self.config.streams
        return tuple(s for s in self.streams if not wanted or s in wanted)

    def flags_holds(self, stream: str) -> bool:
        """Whether `stream` reports FERPA holds (`Learner.confidential`) for the learners it carries.

        Issuing for a learner then waits until such a stream has completed a pass since the
        learner's records changed, so a missing export or a killed run never lets a hold slip.
        """
        return False

    def record_id(self, stream: str, raw: Mapping[str, Any]) -> str:
        """The source's id for a raw record, used to name it in dead letters."""
        return str(raw.get("id", "?"))

    def record_location(self, stream: str, raw: Mapping[str, Any]) -> str | None:
        """Where a raw record sits in the source (e.g. "export.csv:14"), shown with its dead letter."""
        return None

    def close(self) -> None:
        """Release connections; called once the run is over."""

    @classmethod
    def sandbox(cls, campus: Campus, **options: Any) -> SandboxServer | None:
        """Return a server imitating this system from the sandbox campus (demo and tests)."""
        return None


@dataclass
class SandboxServer:
    """What `Source.sandbox` returns: the config that points a source at its imitation.

    `config(base_url, workdir)` builds the `[sources.<name>]` table (without `plugin`). When `app`
    (a WSGI application) is set, the demo serves it on loopback and passes its URL as `base_url`;
    file-based sandboxes leave `app` unset and write their files under `workdir` instead.
    """

    config: Callable[[str | None, Path], dict[str, Any]]
    app: Callable[..., Any] | None = None
