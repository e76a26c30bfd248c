"""A change-notification queue with Ethos `/consume` semantics (research/banner.md §4 and addendum).

One queue per application. A consume call returns up to `limit` messages (and at most about
`max_bytes` of JSON) after the position it starts from, and that read is destructive: the next
call without `lastProcessedID` starts after what was returned. Sending `lastProcessedID=N`
re-delivers what follows N, but never further back than the start of the last batch (older
messages are gone). `x-remaining` says how many messages are still queued after the batch.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.wrappers import Request, Response

from connector_core.sandbox.paging import capped

MEDIA_TYPE = "application/vnd.hedtech.change-notifications.v2+json"
EPOCH = datetime(2026, 11, 15, 2, 0, tzinfo=UTC)
"""Messages are stamped from this moment, one second apart: deterministic, never the clock."""


def published_stamp(moment: datetime) -> str:
    """Ethos's `published`: not ISO 8601 (a space separator and `+00`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")


@dataclass
class ChangeQueue:
    """The queue of one Ethos application; thread-safe. `publish` adds, `consume` reads destructively."""

    publisher: dict[str, Any] = field(
        default_factory=lambda: {"id": "00000000-0000-4000-8000-00000000e7a5", "applicationName": "Sandbox Banner"}
    )
    max_limit: int = 1000
    max_bytes: int = 1_000_000
    messages: list[dict[str, Any]] = field(default_factory=list)
    acknowledged: int = 0
    """Everything up to this id is gone for good."""
    delivered: int = 0
    """The id of the last message returned."""
    consumed: int = 0
    """Consume calls answered (for tests counting requests)."""
    _next: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def publish(
        self,
        resource: str,
        resource_id: str,
        operation: str,
        content: dict[str, Any] | None = None,
        *,
        version: str | None = None,
    ) -> dict[str, Any]:
        """Queue a notification; `deleted` ones carry no content and no version, as Ethos sends them."""
        with self._lock:
            number = self._next
            self._next += 1
            described: dict[str, Any] = {"name": resource, "id": resource_id}
            if content is not None and version:
                described["version"] = version
            message = {
                "id": str(number),
                "published": published_stamp(EPOCH + timedelta(seconds=number)),
                "resource": described,
                "operation": operation,
                "contentType": "resource-representation" if content is not None else "empty",
                "publisher": dict(self.publisher),
            }
            if content is not None:
                message["content"] = content
            self.messages.append(message)
            return message

    def consume(self, limit: int, last_processed_id: int | None = None) -> tuple[list[dict[str, Any]], int]:
        """(the batch, how many remain after it). Acknowledges what precedes the batch."""
        with self._lock:
            self.consumed += 1
            start = self.delivered if last_processed_id is None else last_processed_id
            start = max(start, self.acknowledged)
            self.acknowledged = start
            self.messages = [m for m in self.messages if int(m["id"]) > start]
            batch: list[dict[str, Any]] = []
            size = 2
            for message in self.messages[: max(1, limit)]:
                size += len(json.dumps(message)) + 1
                if batch and size > self.max_bytes:
                    break
                batch.append(message)
            self.delivered = int(batch[-1]["id"]) if batch else start
            return batch, len(self.messages) - len(batch)

    def remaining(self) -> int:
        """Messages queued after the last delivered one (what `HEAD /consume` reports)."""
        with self._lock:
            return sum(1 for m in self.messages if int(m["id"]) > self.delivered)

    def respond(self, request: Request) -> Response:
        """`GET /consume?limit=&lastProcessedID=` (and `HEAD`) as Ethos answers them."""
        if request.method == "HEAD":
            return Response(status=200, headers={"x-remaining": str(self.remaining())}, content_type=MEDIA_TYPE)
        raw_last = request.args.get("lastProcessedID")
        try:
            last = int(raw_last) if raw_last not in (None, "") else None
        except ValueError:
            body = {"errors": [{"code": "Global.Consume.Invalid", "message": f"lastProcessedID {raw_last!r}"}]}
            return Response(json.dumps(body), status=400, content_type="application/json")
        batch, remaining = self.consume(capped(request.args.get("limit"), default=20, maximum=self.max_limit), last)
        return Response(json.dumps(batch), content_type=MEDIA_TYPE, headers={"x-remaining": str(remaining)})
