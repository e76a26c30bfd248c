"""An Ethos Integration imitation over real HTTP: expiring tokens, versions, capped paging, /consume.

`POST /auth` with the API key as bearer returns a text JWT that expires after `token_seconds` (or
after `token_uses` requests, to expire one mid-run in tests). Resources answer in the version the
`Accept` header asks (a major alone means its newest minor; an unserved one is 406 in the Ethos
error shape), say it in `x-media-type`, cap `limit` at `x-max-page-size` and count rows in
`x-total-count`. `/consume` is the destructive change-notification queue. Banner 9 mode: the same
resources under `/StudentApi/api` and `/IntegrationApi/api` with HTTP Basic. The Business Process
API `general-student-activities` (SGRSACT) answers for one Banner ID (`id`, required) and
optionally one term (`stvtermTermCode`), through Ethos (JWT) and under /StudentApi (Basic) alike.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import time
import uuid
from collections import Counter
from typing import Any

from werkzeug.wrappers import Request, Response

from connector_core.sandbox import Campus, ChangeQueue, basic_ok, bearer_token, offset_page
from lerconnect_banner.sandbox.data import EthosData

API_KEY = "5e1b7c2a-9d4f-4e8a-b6c3-0a1f2e3d4c5b"  # a sandbox key, valid only against the sandbox
BANNER_USERS = {"lerconnect_api": "sandbox-banner-password"}
ERRORS_MEDIA_TYPE = "application/vnd.hedtech.integration.errors.v2+json"
SERVED = {
    "persons": ("12.4.0", "12.6.0"),
    "academic-periods": ("16.1.0",),
    "subjects": ("6.0.0",),
    "courses": ("16.1.0",),
    "sections": ("16.0.0", "16.1.0"),
    "section-registrations": ("16.1.0",),
    "student-transcript-grades": ("1.0.0", "1.1.0"),
    "student-unverified-grades": ("1.0.0",),
    "grade-definitions": ("6.0.0",),
    "campus-organizations": ("7.0.0",),
    "campus-involvement-roles": ("7.0.0",),
    "campus-involvements": ("7.0.0",),
    "student-cohorts": ("7.2.0",),
    "student-cohort-assignments": ("1.0.0",),
    "general-student-activities": ("1.0.0",),
    "activity-types": ("1.0.0",),
}
STUDENT_ACTIVITIES = "general-student-activities"
ASKED = re.compile(r"application/vnd\.hedtech\.integration\.v([\d.]+)\+json")
PATH = re.compile(r"^/(?:api|StudentApi/api|IntegrationApi/api)/([a-z-]+)(?:/([^/]+))?$")


def errors(status: int, code: str, message: str, description: str = "") -> Response:
    body = {"errors": [{"code": code, "description": description or message, "message": message}]}
    return Response(json.dumps(body), status=status, content_type=ERRORS_MEDIA_TYPE)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def negotiate(accept: str, served: tuple[str, ...]) -> str | None:
    """The version to answer in: the one asked, the newest of an asked major(.minor), newest for JSON."""
    found = ASKED.search(accept or "")
    if not found:
        return served[-1]
    asked = found.group(1)
    matches = [v for v in served if v == asked or v.startswith(asked + ".")]
    return matches[-1] if matches else None


def matches(record: dict[str, Any], criteria: dict[str, Any]) -> bool:
    for key, wanted in criteria.items():
        value = record.get(key)
        if isinstance(wanted, dict) and "id" in wanted:
            if not isinstance(value, dict) or value.get("id") != wanted["id"]:
                return False
        elif value != wanted:
            return False
    return True


class EthosSandbox:
    """The WSGI app; `data` holds the resources, `queue` the change notifications, `stats` the calls."""

    def __init__(
        self,
        campus: Campus,
        *,
        max_page_size: int = 500,
        token_seconds: float = 300.0,
        token_uses: int | None = None,
        served: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.data = EthosData(campus)
        self.queue = ChangeQueue()
        self.max_page_size = max_page_size
        self.token_seconds = token_seconds
        self.token_uses = token_uses
        self.served = {**SERVED, **(served or {})}
        self.business_process_apis = {STUDENT_ACTIVITIES}
        """The BP APIs this tenant has deployed (a test empties it to see the 404)."""
        self.tokens: dict[str, list[float]] = {}
        self.stats: Counter[str] = Counter()
        self.consumed_after: list[str | None] = []
        """The `lastProcessedID` of each /consume call, in order."""
        self._lock = threading.Lock()

    # --- serving ----------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            self.stats["requests"] += 1
        return self.respond(request)(environ, start_response)

    def respond(self, request: Request) -> Response:
        if request.path == "/auth" and request.method == "POST":
            return self._auth(request)
        banner9 = not request.path.startswith(("/api/", "/consume"))
        refused = self._refused(request, banner9)
        if refused is not None:
            return refused
        if request.path == "/consume":
            self._count("consume")
            self.consumed_after.append(request.args.get("lastProcessedID"))
            return self.queue.respond(request)
        found = PATH.match(request.path)
        if not found or found.group(1) not in {*self.data.resources, *self.business_process_apis}:
            return errors(404, "Global.NotFound", f"no resource at {request.path}")
        return self._resource(request, found.group(1), found.group(2))

    def _count(self, key: str) -> None:
        with self._lock:
            self.stats[key] += 1

    def _auth(self, request: Request) -> Response:
        self._count("auth")
        if bearer_token(request) != API_KEY:
            return errors(401, "Global.Unauthorized", "Invalid API key", "The API key is not valid for any application")
        now = time.time()
        minutes = request.args.get("expirationMinutes", type=int) or 5
        life = min(self.token_seconds, minutes * 60)
        claims = {"sub": "sandbox-application", "iat": int(now), "exp": int(now + life), "jti": uuid.uuid4().hex}
        token = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(claims)}.{_b64({'sig': uuid.uuid4().hex})}"
        with self._lock:
            self.tokens[token] = [now + life, float(self.token_uses or 0)]
        return Response(token, content_type="text/plain")

    def _refused(self, request: Request, banner9: bool) -> Response | None:
        if banner9:
            if basic_ok(request, BANNER_USERS) is None:
                return errors(401, "Global.Unauthorized", "Invalid username or password")
            return None
        token = bearer_token(request) or ""
        with self._lock:
            grant = self.tokens.get(token)
            if grant is not None and self.token_uses:
                grant[1] -= 1
                if grant[1] < 0:
                    grant[0] = 0.0
            valid = grant is not None and grant[0] > time.time()
        if not valid:
            self._count("refused")
            return errors(401, "Global.Unauthorized", "The token is expired or invalid: obtain a new one from /auth")
        return None

    def _resource(self, request: Request, resource: str, guid: str | None) -> Response:
        self._count(resource)
        served = self.served.get(resource, ("1.0.0",))
        version = negotiate(request.headers.get("Accept", ""), served)
        if version is None:
            return errors(
                406,
                "Global.UnsupportedMediaType",
                f"Unsupported media type {request.headers.get('Accept')} for {resource}",
                f"{resource} is served in versions {', '.join(served)}",
            )
        headers = {"x-media-type": f"application/vnd.hedtech.integration.v{version}+json"}
        if resource == STUDENT_ACTIVITIES:
            found = self._student_activities(request)
            if isinstance(found, Response):
                return found
            rows = found
        else:
            rows = self.data.resources[resource]
        if guid is not None:
            row = self.data.find(resource, guid)
            if row is None:
                return errors(404, "Global.NotFound", f"{resource} {guid} not found")
            return Response(json.dumps(row), content_type=headers["x-media-type"], headers=headers)
        raw = request.args.get("criteria")
        if raw:
            try:
                criteria = json.loads(raw)
            except ValueError:
                return errors(400, "Global.SchemaValidation.Error", f"criteria is not JSON: {raw[:60]}")
            rows = [r for r in rows if matches(r, criteria)]
        page = offset_page(request, rows, default=10, maximum=self.max_page_size)
        return Response(
            json.dumps(page.rows), content_type=headers["x-media-type"], headers={**headers, **page.headers}
        )

    def _student_activities(self, request: Request) -> list[dict[str, Any]] | Response:
        """SGRSACT rows of the student `id` names (optionally of one `stvtermTermCode`)."""
        banner_id = request.args.get("id")
        if not banner_id:
            return errors(400, "Global.SchemaValidation.Error", "id (the student's Banner ID) is required")
        if banner_id not in self.data.banner_ids:
            return errors(400, "Global.SchemaValidation.Error", f"Invalid Banner ID {banner_id}")
        term = request.args.get("stvtermTermCode")
        rows = self.data.student_activities.get(banner_id, [])
        return [r for r in rows if term is None or r.get("termCode") == term]

    # --- changes at the "campus" (tests and benchmarks) ----------------------------------------

    def _publish(self, resource: str, row: dict[str, Any], operation: str = "updated") -> dict[str, Any]:
        version = f"application/vnd.hedtech.integration.v{self.served[resource][-1]}+json"
        return self.queue.publish(resource, row["id"], operation, copy.deepcopy(row), version=version)

    def change_grade(self, enrollment_key: int, letter: str) -> dict[str, Any]:
        """A grade change after term end: a new changeDetails entry and an `updated` notification."""
        g = self.data.campus.guid
        row = self.data.find("student-transcript-grades", g("transcript-grade", enrollment_key))
        assert row is not None, f"enrollment {enrollment_key} has no transcript grade"
        details = row.setdefault("changeDetails", [])
        details.append(
            {
                "sequenceNumber": str(len(details) + 1),
                "grade": dict(row["grade"]),
                "awardGradeScheme": dict(row["awardGradeScheme"]),
                "changeReason": {"id": g("grade-change-reason", "GRCH")},
                "recordedOn": row["recordedOn"],
            }
        )
        row["grade"] = {"id": g("grade", letter)}
        row["changeReason"] = {"id": g("grade-change-reason", "GRCH")}
        return self._publish("student-transcript-grades", row)

    def withdraw(self, enrollment_key: int) -> dict[str, Any]:
        row = self.data.find("section-registrations", self.data.campus.guid("registration", enrollment_key))
        assert row is not None
        row["status"] = {"registrationStatus": "notRegistered", "sectionRegistrationStatusReason": "withdrawn"}
        return self._publish("section-registrations", row)

    def add_involvement(
        self, person_key: int, activity_key: int, term_key: int, role: str = "Member"
    ) -> dict[str, Any]:
        c = self.data.campus
        term = c.term(term_key)
        row = {
            "id": c.guid("involvement", 900_000 + len(self.data.resources["campus-involvements"])),
            "person": {"id": c.person(person_key).banner_guid},
            "campusOrganization": {"id": c.guid("organization", activity_key)},
            "academicPeriod": {"id": c.guid("term", term_key)},
            "role": {"id": c.guid("involvement-role", role)},
            "startOn": f"{term.start.isoformat()}T00:00:00Z",
            "endOn": None,
        }
        self.data.resources["campus-involvements"].append(row)
        return self._publish("campus-involvements", row, "created")

    def add_student_activity(self, person_key: int, activity_key: int, term_key: int) -> dict[str, Any]:
        """A new SGRSACT row (BP APIs publish no notification: the next sweep finds it)."""
        return self.data.add_student_activity(person_key, activity_key, term_key)

    def remove_student_activity(self, banner_id: str, term_code: str, activity_code: str) -> None:
        rows = self.data.student_activities.get(banner_id, [])
        kept = [r for r in rows if (r.get("termCode"), r.get("actcCode")) != (term_code, activity_code)]
        assert len(kept) < len(rows), f"{banner_id} has no activity {activity_code} in {term_code}"
        self.data.student_activities[banner_id] = kept

    def delete(self, resource: str, guid: str) -> dict[str, Any]:
        self.data.resources[resource] = [r for r in self.data.resources[resource] if r["id"] != guid]
        return self.queue.publish(resource, guid, "deleted")

    def publish_foreign(self, resource: str = "person-holds") -> dict[str, Any]:
        """A notification for a resource this plugin does not read (shaped like the captured one)."""
        guid = str(uuid.uuid4())
        content = {"id": guid, "person": {"id": str(uuid.uuid4())}, "type": {"category": "academic"}}
        return self.queue.publish(
            resource, guid, "created", content, version="application/vnd.hedtech.integration.v6+json"
        )
