"""The Banner `Source`: config, Ethos client, code tables, reader and normalizer wired together."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from functools import cached_property
from typing import Any

from requests.auth import AuthBase

from connector_core import Cursor, LearningRecord, Page, SandboxServer, SourceContext, SourceError, Tombstone
from connector_core.transport import Backoff, RestSource
from lerconnect_banner import normalize
from lerconnect_banner.activities import ACTIVITY_TYPES, ActivitySweep
from lerconnect_banner.config import Config
from lerconnect_banner.ethos import EthosClient, EthosToken, classify_error, fetch_token
from lerconnect_banner.pull import Reader
from lerconnect_banner.tables import CodeTables

USER_AGENT = "lerconnect-banner/0.1"


class BannerSource(RestSource):
    """Ellucian Banner: official transcript grades and co-curricular records, via Ethos Integration."""

    name = "banner"
    Config = Config
    streams = ("grades", "cocurricular")
    user_agent = USER_AGENT
    backoff = Backoff(initial=0.5, maximum=30.0)
    classify_error = staticmethod(classify_error)

    clock: Callable[[], date] = staticmethod(date.today)
    """Today's date (which terms still run); tests pin it to the sandbox campus's day."""

    def __init__(self, config: Config, context: SourceContext) -> None:  # type: ignore[override]
        super().__init__(config, context)
        self.config: Config = config

    @cached_property
    def token(self) -> EthosToken:
        """The Ethos JWT, fetched through the source's own client with the API key for that one call."""
        assert self.config.api_key is not None
        api_key, minutes = self.config.api_key, self.config.token_minutes
        return EthosToken(lambda: fetch_token(self.rest, api_key, minutes), minutes)

    def auth(self) -> AuthBase | None:
        return self.token if self.config.mode == "ethos" else super().auth()

    @cached_property
    def ethos(self) -> EthosClient:
        return EthosClient(self.config, self.rest, self.token if self.config.mode == "ethos" else None)

    @cached_property
    def tables(self) -> CodeTables:
        """One per source instance, i.e. per run of the source's streams: read once, shared by both."""
        return CodeTables(self.ethos)

    @property
    def requests_made(self) -> int:
        return self.rest.requests_made

    def check(self) -> str:
        """A token (or the Banner user) and one resource; with `activities`, the BP API's types too."""
        how = "Ethos token obtained" if self.config.mode == "ethos" else "Banner API user accepted"
        said = [f"Banner via {self.config.mode} at {self.config.base_url}: {how}"]
        read = ["academic-periods"] + ([ACTIVITY_TYPES] if self.config.cocurricular == "activities" else [])
        for resource in read:
            rows, _ = next(self.ethos.pages(resource))
            version = self.ethos.served.get(resource, "?")
            said.append(f"{resource} v{version} readable ({len(rows)} on the first page)")
        return "; ".join(said)

    def pull(self, stream: str, cursor: Cursor) -> Iterator[Page]:
        if stream not in self.streams:
            raise SourceError(
                f"banner has no stream {stream!r}: Banner holds no competency data; its streams are "
                f"{', '.join(self.streams)}"
            )
        saved = cursor if isinstance(cursor, Mapping) else {}
        if stream == "cocurricular" and self.config.cocurricular == "activities":
            # BP APIs publish no notifications: every run sweeps them in full, learner by learner
            sweep = ActivitySweep(self.ethos, self.tables, self.config, self.clock())
            yield from sweep.pages(saved if "after" in saved else None)
            return
        reader = Reader(self.ethos, self.tables, self.config, self.clock())
        if stream == "grades" and self.config.mode == "ethos":
            if "changes" in saved:
                yield from reader.changes(int(saved["changes"] or 0))
            else:
                yield from reader.full(stream, saved or None, {"changes": 0})
        elif stream == "grades":  # Banner 9: no notification queue
            if "full_on" in saved:
                yield from reader.nightly(saved)
            else:
                yield from reader.full(stream, saved or None, {"full_on": self.clock().isoformat()})
        else:  # EEDM co-curricular rows are few and not fed by the grades' queue: swept every run
            yield from reader.full(stream, saved or None, None)

    def normalize(self, stream: str, raw: Mapping[str, Any]) -> Iterable[LearningRecord | Tombstone]:
        if stream == "grades":
            return list(normalize.grades(raw))
        return list(normalize.cocurricular(raw))

    def flags_holds(self, stream: str) -> bool:
        """Every stream's learners are `persons` rows, whose privacy category is the FERPA hold
        (`Learner.confidential`), in either mode and from any co-curricular origin: issuing for a
        learner waits for a completed Banner pass, so a killed one lets no hold slip."""
        return stream in self.streams

    def record_id(self, stream: str, raw: Mapping[str, Any]) -> str:
        return normalize.record_id(raw)

    @classmethod
    def sandbox(cls, campus: Any, **options: Any) -> SandboxServer | None:
        """An Ethos imitation over real HTTP, served only for a campus whose SIS is Banner."""
        if getattr(campus, "sis", "banner") != "banner":
            return None
        from lerconnect_banner.sandbox import build_sandbox

        return build_sandbox(campus, **options)
