"""An example REST source and the tiny API it reads, both in-repo so tests own every byte.

`ExampleApi` is a WSGI app holding records in memory (tests mutate them between runs); it pages
with `Link: <…>; rel="next"` headers and an `after=<seq>` keyset, and answers 401 to a bad token.
`ExampleSource` is what a vendor's plugin looks like: check, pull with a cursor, normalize.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import requests
from pydantic import SecretStr
from werkzeug.wrappers import Request, Response

from connector_core import (
    Achievement,
    AchievementKind,
    Learner,
    LearningRecord,
    Page,
    RecordError,
    Result,
    ResultStatus,
    SandboxServer,
    Source,
    SourceAuthError,
    SourceConfig,
    SourceUnavailable,
    Tombstone,
    hookimpl,
)

__version__ = "0.0.1"
TOKEN = "example-token"  # a test fixture, not a secret


@dataclass
class ExampleApi:
    """The imitation system: `data[stream][id]` raw records, each stamped with a change `seq`."""

    token: str = TOKEN
    page_delay: float = 0.0
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {"grades": {}, "activities": {}})
    requests_seen: list[str] = field(default_factory=list)
    gate: threading.Semaphore | None = None
    """When set, every page request first takes one permit: tests pause the source mid-pull."""
    seq: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, stream: str, record: dict[str, Any]) -> None:
        """Add or change a record: it gets a new seq, so incremental pulls see it again."""
        with self._lock:
            self.seq += 1
            self.data[stream][str(record["id"])] = {**record, "seq": self.seq}

    def delete(self, stream: str, record_id: str, *, tombstone: bool = True) -> None:
        """Delete a record; with `tombstone` the feed reports the deletion, else it just vanishes."""
        with self._lock:
            self.data[stream].pop(record_id)
            if tombstone:
                self.seq += 1
                self.data[stream][record_id] = {"id": record_id, "deleted": True, "seq": self.seq}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        self.requests_seen.append(request.full_path)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json({"error": "invalid access token"}, 401)
        if request.path == "/api/me":
            return _json({"name": "lerconnect service account"})
        stream = request.path.removeprefix("/api/")
        if stream not in self.data:
            return _json({"error": f"no such collection {stream}"}, 404)
        if self.gate is not None:
            self.gate.acquire()
        if self.page_delay:
            time.sleep(self.page_delay)
        after = int(request.args.get("after", 0))
        per_page = int(request.args.get("per_page", 5))
        full = after == 0
        with self._lock:
            rows = sorted(
                (r for r in self.data[stream].values() if r["seq"] > after and not (full and r.get("deleted"))),
                key=lambda r: r["seq"],
            )
        page, rest = rows[:per_page], rows[per_page:]
        response = _json(page)
        if rest:
            nxt = f"{request.host_url}api/{stream}?after={page[-1]['seq']}&per_page={per_page}"
            response.headers["Link"] = f'<{nxt}>; rel="next"'
        return response


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def grade(
    record_id: str,
    student: str,
    course: str = "MATH-101",
    letter: str = "B",
    *,
    institution_id: str | None = None,
    email: str | None = None,
    verified: bool = False,
    ferpa: bool = False,
    title: str = "Calculus I",
    credits: Any = 4,
    term: str = "Fall 2025",
) -> dict:
    """A raw grade as the example API returns it."""
    return {
        "id": record_id,
        "student": {
            "id": student,
            "institution_id": institution_id,
            "email": email,
            "email_verified": verified,
            "ferpa": ferpa,
            "name": f"Student {student}",
        },
        "course": {"id": course, "title": title, "credits": credits},
        "grade": letter,
        "term": term,
        "completed": "2025-12-15",
    }


def seed(api: ExampleApi, count: int, *, stream: str = "grades") -> list[dict]:
    """`count` well-formed grades for distinct students, in id order."""
    letters = ("A", "A-", "B+", "B", "C")
    out = [
        grade(f"g{i:04d}", f"S{i:04d}", f"C-{i % 7}", letters[i % len(letters)], institution_id=f"9{i:05d}")
        for i in range(1, count + 1)
    ]
    for record in out:
        api.put(stream, record)
    return out


class ExampleConfig(SourceConfig):
    base_url: str
    token: SecretStr
    page_size: int = 5
    timeout: float = 10.0


class ExampleSource(Source):
    """Grades and activities from the example API."""

    name = "example"
    Config = ExampleConfig
    streams = ("grades", "activities")
    config: ExampleConfig

    def __init__(self, config: ExampleConfig, context: Any) -> None:
        super().__init__(config, context)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {config.token.get_secret_value()}"

    def _get(self, url: str) -> requests.Response:
        try:
            response = self.session.get(url, timeout=self.config.timeout)
        except requests.RequestException as exc:
            raise SourceUnavailable(f"example API at {self.config.base_url} did not answer: {exc}") from None
        if response.status_code == 401:
            raise SourceAuthError(
                f"example API refused the token (401 {response.json().get('error')}): "
                f"set [sources.{self.context.name}].token to a valid API token"
            )
        if not response.ok:
            raise SourceUnavailable(f"example API answered {response.status_code} to GET {url}")
        return response

    def check(self) -> str:
        return f"signed in as {self._get(f'{self.config.base_url}/api/me').json()['name']}"

    def pull(self, stream: str, cursor: Any) -> Iterator[Page]:
        url: str | None = f"{self.config.base_url}/api/{stream}?after={cursor or 0}&per_page={self.config.page_size}"
        while url:
            response = self._get(url)
            rows = response.json()
            cursor = rows[-1]["seq"] if rows else cursor
            yield Page(records=rows, cursor=cursor)
            url = response.links.get("next", {}).get("url")

    def normalize(self, stream: str, raw: Mapping[str, Any]) -> Iterator[LearningRecord | Tombstone]:
        if raw.get("deleted"):
            yield Tombstone(source_record_id=str(raw["id"]))
            return
        student = _table(raw, "student")
        course = _table(raw, "course")
        learner = Learner(
            source_id=_text(student, "id", "student.id"),
            institution_id=student.get("institution_id"),
            email=student.get("email"),
            email_verified=bool(student.get("email_verified")),
            given_name=student.get("name"),
            confidential=bool(student.get("ferpa")),
        )
        credits = _decimal(course.get("credits"), "course.credits")
        kind = AchievementKind.course if stream == "grades" else AchievementKind.cocurricular
        achievement = Achievement(
            key=_text(course, "id", "course.id"),
            kind=kind,
            title=_text(course, "title", "course.title"),
            credits=credits,
        )
        completed = raw.get("completed")
        try:
            completed_on = date.fromisoformat(completed) if completed else None
        except (TypeError, ValueError):
            raise RecordError(f"{completed!r} is not a date (YYYY-MM-DD)", field="completed") from None
        yield LearningRecord(
            source_record_id=_text(raw, "id", "id"),
            learner=learner,
            achievement=achievement,
            result=Result(status=ResultStatus.completed, grade=raw.get("grade")),
            term=raw.get("term"),
            completed_on=completed_on,
            credits_earned=credits,
        )

    def flags_holds(self, stream: str) -> bool:
        return True  # every record carries the student's `ferpa` flag

    def close(self) -> None:
        self.session.close()

    @classmethod
    def sandbox(cls, campus: Any, **options: Any) -> SandboxServer:
        """A small API seeded from the campus's first enrollments."""
        api = ExampleApi()
        for enrollment in campus.enrollments[: options.get("records", 23)]:
            person = campus.person(enrollment.person_key)
            course = campus.course(campus.section(enrollment.section_key).course_key)
            api.put(
                "grades",
                grade(
                    f"e{enrollment.key}",
                    person.institution_id,
                    course.code.replace(" ", "-"),
                    enrollment.grade or "IP",
                    institution_id=person.institution_id,
                    title=course.title,
                    credits=course.credits,
                ),
            )
        api.put("activities", grade("a1", campus.people[0].institution_id, "CLUB-1", title="Robotics Club"))
        return SandboxServer(
            config=lambda base_url, workdir: {"base_url": base_url, "token": TOKEN, "page_size": 4}, app=api
        )


def _table(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, Mapping):
        raise RecordError(f"{key!r} must be an object, got {type(value).__name__}", field=key)
    return value


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()) or isinstance(value, Mapping | list):
        raise RecordError(f"{where} is missing or empty", field=where)
    return str(value)


def _decimal(value: Any, where: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise RecordError(f"{value!r} is not a number", field=where) from None


@hookimpl
def lerconnect_register_sources(register: Any) -> None:
    register(ExampleSource)


# ---------------------------------------------------------------- helpers for tests


def example_table(base_url: str, **extra: Any) -> dict[str, Any]:
    """A `[sources.<name>]` table for the example plugin pointed at `base_url`."""
    return {"plugin": "example", "base_url": base_url, "token": TOKEN, "page_size": 5, "streams": ["grades"], **extra}
