"""A Canvas imitation as a WSGI app, with the quirks a real instance has (research/canvas.md §10).

Quirks served: `per_page` silently capped; opaque `Link` headers (bookmark pages for enrollments,
`rel="last"` only where counting is cheap, `[]` past the end); wrapped bodies (`enrollment_terms`,
`rollups` + `meta.pagination`); concluded / inactive enrollments hidden unless `state[]` asks; SIS
fields omitted for a token without SIS permission; 401 with `WWW-Authenticate` for a bad token and
without it for a missing permission; a per-token leaky bucket (`X-Request-Cost`,
`X-Rate-Limit-Remaining`, 403 `Rate Limit Exceeded` or 429); mastery scales on the outcome or from
`outcome_proficiency` (404 where a context has none of its own); cross-listed sections (see `data`).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from connector_core.sandbox import (
    BadBookmark,
    BucketTuning,
    Campus,
    LinkedPage,
    Throttle,
    bearer_token,
    bookmarked_page,
    grant_for,
    link_header,
    numbered_page,
    unauthorized,
)
from lerconnect_canvas.sandbox.data import ROOT, CanvasData, MasteryScales, build, strip_sis


@dataclass(frozen=True)
class Grant:
    """What a sandbox token may do: its user, SIS visibility, account-level reads."""

    user_id: int
    sis: bool
    account_admin: bool


TOKENS = {
    "sandbox-admin-token": Grant(user_id=1, sis=True, account_admin=True),
    "sandbox-nosis-token": Grant(user_id=1, sis=False, account_admin=True),
    "sandbox-limited-token": Grant(user_id=2, sis=False, account_admin=False),
}
NOT_FOUND = {"errors": [{"message": "The specified resource does not exist."}]}
UNAUTHORIZED = {"status": "unauthorized", "errors": [{"message": "user not authorized to perform that action"}]}


class Denied(Exception):
    """The token is valid but may not call this endpoint: Canvas answers 401 without WWW-Authenticate."""


class BadRequest(Exception):
    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body)
        self.body = body


class CanvasSandbox:
    """The WSGI app. `data` is mutable for tests (`data.set_grade(...)`); `stats` counts what it saw."""

    def __init__(
        self,
        campus: Campus,
        *,
        tuning: BucketTuning | None = None,
        max_per_page: int = 100,
        tokens: dict[str, Grant] | None = None,
        mastery_scales: MasteryScales = "outcome",
    ) -> None:
        self.data: CanvasData = build(campus, mastery_scales)
        self.throttle = Throttle(tuning, refuse=self.refuse)
        self.max_per_page = max_per_page
        self.tokens = dict(TOKENS if tokens is None else tokens)
        self.stats: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.routes = Map(
            [
                Rule("/api/v1/users/self", endpoint="me"),
                Rule("/api/v1/accounts/<account>/terms", endpoint="terms"),
                Rule("/api/v1/accounts/<account>/sub_accounts", endpoint="sub_accounts"),
                Rule("/api/v1/accounts/<account>/courses", endpoint="courses"),
                Rule("/api/v1/accounts/<account>/users", endpoint="users"),
                Rule("/api/v1/courses/<int:course_id>/enrollments", endpoint="enrollments"),
                Rule("/api/v1/courses/<int:course_id>/outcome_group_links", endpoint="outcome_links"),
                Rule("/api/v1/courses/<int:course_id>/outcome_rollups", endpoint="rollups"),
                Rule("/api/v1/accounts/<account>/outcome_proficiency", endpoint="account_proficiency"),
                Rule("/api/v1/courses/<int:course_id>/outcome_proficiency", endpoint="course_proficiency"),
            ]
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    def count(self, key: str) -> None:
        with self._lock:
            self.stats[key] += 1

    def respond(self, request: Request) -> Response:
        self.count("requests")
        token = bearer_token(request, query_param="access_token")
        grant = grant_for(token, self.tokens)
        if grant is None:
            self.count("401-bad-token")
            return unauthorized({"errors": [{"message": "Invalid access token."}]}, realm="canvas-lms")
        return self.throttle(token, lambda: self.dispatch(request, grant))

    def refuse(self, status: int, wait: float) -> Response:
        """Canvas names no wait: a plain-text 403 (self-hosted) or 429 (hosted), no `Retry-After`."""
        self.count("throttled")
        return Response("403 Forbidden (Rate Limit Exceeded)\n", status=status, content_type="text/plain")

    def dispatch(self, request: Request, grant: Grant) -> Response:
        try:
            endpoint, args = self.routes.bind_to_environ(request.environ).match()
            if endpoint != "me" and not grant.account_admin:
                raise Denied
            return getattr(self, endpoint)(request, grant, **args)
        except Denied:
            self.count("401-denied")
            return Response(json.dumps(UNAUTHORIZED), status=401, content_type="application/json")
        except BadRequest as exc:
            return Response(json.dumps(exc.body), status=400, content_type="application/json")
        except NotFound:
            return Response(json.dumps(NOT_FOUND), status=404, content_type="application/json")
        except HTTPException as exc:
            return Response(
                json.dumps({"errors": [{"message": exc.description}]}), status=exc.code, content_type="application/json"
            )

    # -- helpers -------------------------------------------------------------------------------------

    @staticmethod
    def body(value: Any, grant: Grant) -> Any:
        return value if grant.sis else strip_sis(value)

    def account(self, ref: str) -> dict[str, Any]:
        if ref == "self":
            return self.data.accounts[ROOT]
        for account in self.data.accounts.values():
            if ref in (str(account["id"]), f"sis_account_id:{account['sis_account_id']}"):
                return account
        raise NotFound

    def descendants(self, account_id: int) -> list[dict[str, Any]]:
        found = [a for a in self.data.accounts.values() if a["parent_account_id"] == account_id]
        return found + [d for a in found for d in self.descendants(a["id"])]

    def numbered(self, request: Request, items: list[Any], *, last: bool) -> LinkedPage:
        return numbered_page(request, items, default=10, maximum=self.max_per_page, last=last)

    def bookmarked(self, request: Request, items: list[dict[str, Any]]) -> LinkedPage:
        """Bookmark paging (enrollments): `page=bookmark:<opaque>`; no page numbers, no `last`."""
        try:
            page = bookmarked_page(request, items, lambda e: e["id"], default=10, maximum=self.max_per_page)
        except BadBookmark:
            raise BadRequest({"errors": [{"message": "invalid bookmark"}]}) from None
        if page.meta["bookmarked"]:
            self.count("bookmark-pages")
        return page

    def paged(self, payload: Any, page: LinkedPage, grant: Grant) -> Response:
        return Response(
            json.dumps(self.body(payload, grant)),
            content_type="application/json",
            headers={"Link": link_header(page.links)},
        )

    # -- endpoints -----------------------------------------------------------------------------------

    def me(self, request: Request, grant: Grant) -> Response:
        user = self.data.users[grant.user_id]
        shown = {k: user[k] for k in ("id", "name", "sortable_name", "short_name", "sis_user_id", "login_id")}
        return Response(json.dumps(self.body(shown, grant)), content_type="application/json")

    def terms(self, request: Request, grant: Grant, account: str) -> Response:
        if self.account(account)["id"] != ROOT:
            raise BadRequest({"message": "Terms only belong to root_accounts."})
        page = self.numbered(request, self.data.terms, last=True)
        return self.paged({"enrollment_terms": page.rows}, page, grant)

    def sub_accounts(self, request: Request, grant: Grant, account: str) -> Response:
        root = self.account(account)
        found = (
            self.descendants(root["id"])
            if request.args.get("recursive") == "true"
            else [a for a in self.data.accounts.values() if a["parent_account_id"] == root["id"]]
        )
        page = self.numbered(request, found, last=True)
        return self.paged(page.rows, page, grant)

    def courses(self, request: Request, grant: Grant, account: str) -> Response:
        root = self.account(account)
        within = {root["id"], *(a["id"] for a in self.descendants(root["id"]))}
        term_ref = request.args.get("enrollment_term_id")
        term_ids = (
            {t["id"] for t in self.data.terms if term_ref in (str(t["id"]), f"sis_term_id:{t['sis_term_id']}")}
            if term_ref
            else None
        )
        states = set(request.args.getlist("state[]")) or {"created", "claimed", "available", "completed"}
        found = [
            c
            for c in self.data.courses.values()
            if c["account_id"] in within
            and (term_ids is None or c["enrollment_term_id"] in term_ids)
            and ("all" in states or c["workflow_state"] in states)
        ]
        found.sort(key=lambda c: (c["name"], c["id"]))  # Canvas sorts by name: clients must not assume ids
        page = self.numbered(request, found, last=False)  # total unknown: no rel="last"
        return self.paged(page.rows, page, grant)

    def users(self, request: Request, grant: Grant, account: str) -> Response:
        self.account(account)
        with_email = "email" in request.args.getlist("include[]")
        found = sorted(self.data.users.values(), key=lambda u: (u["sortable_name"], u["id"]))
        shown = [{k: v for k, v in u.items() if k != "email" or with_email} for u in found]
        page = self.numbered(request, shown, last=True)
        return self.paged(page.rows, page, grant)

    def course(self, course_id: int) -> dict[str, Any]:
        if course_id not in self.data.courses:
            raise NotFound
        return self.data.courses[course_id]

    def enrollments(self, request: Request, grant: Grant, course_id: int) -> Response:
        self.course(course_id)
        types = set(request.args.getlist("type[]"))
        states = set(request.args.getlist("state[]")) or {"active", "invited"}  # concluded ones hidden
        found = [
            e
            for e in self.data.enrollments.get(course_id, [])
            if (not types or e["type"] in types) and e["enrollment_state"] in states
        ]
        page = self.bookmarked(request, sorted(found, key=lambda e: e["id"]))
        return self.paged(page.rows, page, grant)

    def outcome_links(self, request: Request, grant: Grant, course_id: int) -> Response:
        course = self.course(course_id)
        full = request.args.get("outcome_style") == "full"
        abbrev = ("id", "context_id", "context_type", "vendor_guid", "display_name", "title", "url", "can_edit")
        links = []
        for oid in self.data.course_outcomes.get(course_id, []):
            outcome = self.data.outcomes[oid]
            group = 700 + course_id
            links.append(
                {
                    "context_id": course_id,
                    "context_type": "Course",
                    "url": f"/api/v1/courses/{course_id}/outcome_groups/{group}/outcomes/{oid}",
                    "outcome_group": {
                        "id": group,
                        "title": course["name"],
                        "vendor_guid": None,
                        "url": f"/api/v1/courses/{course_id}/outcome_groups/{group}",
                        "subgroups_url": f"/api/v1/courses/{course_id}/outcome_groups/{group}/subgroups",
                        "outcomes_url": f"/api/v1/courses/{course_id}/outcome_groups/{group}/outcomes",
                        "can_edit": False,
                    },
                    "outcome": dict(outcome) if full else {k: outcome[k] for k in abbrev},
                    "assessed": True,
                    "can_unlink": False,
                }
            )
        page = self.numbered(request, links, last=True)
        return self.paged(page.rows, page, grant)

    def rollups(self, request: Request, grant: Grant, course_id: int) -> Response:
        self.course(course_id)
        results = self.data.results.get(course_id, {})
        students = sorted(
            {
                e["user_id"]
                for e in self.data.enrollments.get(course_id, [])
                if e["type"] == "StudentEnrollment" and e["enrollment_state"] != "deleted"
            }
        )
        if "missing_user_rollups" in request.args.getlist("exclude[]"):
            students = [s for s in students if results.get(s)]
        rollups = [
            {
                "scores": [
                    {
                        "score": score,
                        "title": self.data.outcomes[oid]["title"],
                        "count": 1,
                        "hide_points": False,
                        "links": {"outcome": str(oid)},
                    }
                    for oid, score in sorted(results.get(uid, {}).items())
                ],
                "links": {"user": str(uid), "section": str(course_id), "status": "active"},
            }
            for uid in students
        ]
        page = self.numbered(request, rollups, last=True)
        meta = page.meta | {k: page.links.get(k) for k in ("current", "next", "prev", "first", "last")}
        return self.paged({"rollups": page.rows, "linked": {}, "meta": {"pagination": meta}}, page, grant)

    def proficiency(self, context: str, context_id: int) -> Response:
        self.count(f"proficiency {context} {context_id}")
        ratings = self.data.proficiencies.get((context, context_id))
        if ratings is None:
            raise NotFound
        return Response(json.dumps({"ratings": ratings}), content_type="application/json")

    def account_proficiency(self, request: Request, grant: Grant, account: str) -> Response:
        return self.proficiency("Account", self.account(account)["id"])

    def course_proficiency(self, request: Request, grant: Grant, course_id: int) -> Response:
        return self.proficiency("Course", self.course(course_id)["id"])
