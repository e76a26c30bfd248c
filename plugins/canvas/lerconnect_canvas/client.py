"""Canvas's REST API as this plugin uses it: what a throttled or refused answer looks like, and the calls.

Everything generic (retries, backoff, Link paging, timeouts) is `connector_core.transport`; this module
only knows Canvas: the 403 `Rate Limit Exceeded` body, `X-Rate-Limit-Remaining`, the two kinds of
401, wrapped bodies, and which permission each endpoint needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import requests

from connector_core import SourceAuthError, SourceError, SourcePermissionError
from connector_core.transport import LinkHeaderPaginator, RestClient, error_summary
from lerconnect_canvas.config import Config

API = "/api/v1"
USER_AGENT = "lerconnect-canvas/0.1"
UP_FRONT_COST = 50.0
"""Canvas charges each in-flight request this much up front (refunded on completion)."""

PERMISSIONS = (
    (r"/accounts/[^/]+/terms", "account admin on the root account (terms belong to the root account)"),
    (r"/accounts/[^/]+/sub_accounts", "account admin on that account"),
    (r"/accounts/[^/]+/courses", "'Courses - view list' (read_course_list) on the account"),
    (r"/accounts/[^/]+/users", "'Users - view list' (read_roster) on the account"),
    (r"/courses/[^/]+/enrollments", "'Users - view list' and 'Grades - view all grades' (view_all_grades)"),
    (r"/courses/[^/]+/outcome_group_links", "'Learning Outcomes - view' (read_outcomes)"),
    (r"/courses/[^/]+/outcome_rollups", "'Grades - view all grades' (view_all_grades)"),
    (r"/outcome_proficiency", "'Learning Outcomes - view' (read_outcomes)"),
)


class NoScale(SourceError):
    """The course or account has no mastery scale of its own (`outcome_proficiency` answered 404)."""


def is_throttled(response: requests.Response) -> bool:
    """Self-hosted Canvas throttles with 403 and a plain-text body; hosted Canvas sends 429."""
    return response.status_code == 403 and "Rate Limit Exceeded" in response.text


def permission_for(endpoint: str) -> str:
    for pattern, permission in PERMISSIONS:
        if re.search(pattern, endpoint):
            return permission
    return "the Canvas permission that lets an admin read this"


def classify_error(response: requests.Response, endpoint: str) -> SourceError | None:
    """Canvas answers 401 both for a bad token (with WWW-Authenticate) and a missing permission (without)."""
    summary = error_summary(response)
    if response.status_code == 401 and "WWW-Authenticate" in response.headers:
        return SourceAuthError(
            f"Canvas refused the token ({endpoint}: HTTP 401 {summary}): it is invalid, "
            "expired or revoked — generate a new access token for the integration user and "
            "update `token` in this source's config"
        )
    if response.status_code in (401, 403):
        return SourcePermissionError(
            f"the token's user may not call {endpoint} (HTTP {response.status_code} "
            f"{summary}): grant it {permission_for(endpoint)}"
        )
    if response.status_code == 400 and "root_account" in summary:
        return SourceError(f"{endpoint}: {summary}: set account_id to the root account (or leave it `self`)")
    if response.status_code == 404 and endpoint.endswith("/outcome_proficiency"):
        return NoScale(endpoint)
    if response.status_code == 404:
        return SourceError(
            f"{endpoint}: HTTP 404 ({summary}): check base_url, account_id and the term / sub-account ids in config"
        )
    return None


PAGING = LinkHeaderPaginator(body_next="meta.pagination.next")
"""Link headers; outcome rollups also carry JSON:API paging in the body."""


class CanvasClient:
    """The Canvas calls this plugin makes; each list call follows every page and unwraps bodies."""

    def __init__(self, rest: RestClient, config: Config) -> None:
        self.rest = rest
        self.config = config
        self.account = config.account_id

    def get(self, path: str, params: dict[str, Any] | None = None, *, expect: type = dict) -> Any:
        return self.rest.get(f"{API}{path}", params, expect=expect).body

    def list(self, path: str, params: dict[str, Any] | None = None, *, key: str | None = None) -> Iterator[Any]:
        """Every item of a list endpoint; `key` unwraps `{"<key>": [...]}` bodies."""
        query = {"per_page": self.config.per_page, **(params or {})}
        for page in self.rest.paginate(f"{API}{path}", PAGING, params=query, items=key):
            yield from page.items

    def me(self) -> dict[str, Any]:
        return self.get("/users/self")

    def terms(self) -> list[dict[str, Any]]:
        return list(self.list(f"/accounts/{self.account}/terms", {"workflow_state[]": "all"}, key="enrollment_terms"))

    def sub_accounts(self, account_id: str) -> list[dict[str, Any]]:
        return list(self.list(f"/accounts/{account_id}/sub_accounts", {"recursive": "true"}))

    def courses(self, term_id: int) -> list[dict[str, Any]]:
        params = {"enrollment_term_id": term_id, "state[]": ["available", "completed"]}
        return list(self.list(f"/accounts/{self.account}/courses", params))

    def users(self) -> Iterator[dict[str, Any]]:
        return self.list(f"/accounts/{self.account}/users", {"include[]": "email"})

    def first_user(self) -> dict[str, Any] | None:
        """One user of the account, to see whether this token is shown SIS ids."""
        users = self.get(f"/accounts/{self.account}/users", {"per_page": 1}, expect=list)
        return users[0] if users else None

    def student_enrollments(self, course_id: int) -> list[dict[str, Any]]:
        """Concluded, inactive and deleted enrollments too: the default filter hides them."""
        params = {"type[]": "StudentEnrollment", "state[]": ["active", "completed", "inactive", "deleted"]}
        return list(self.list(f"/courses/{course_id}/enrollments", params))

    def outcome_links(self, course_id: int) -> list[dict[str, Any]]:
        return list(self.list(f"/courses/{course_id}/outcome_group_links", {"outcome_style": "full"}))

    def outcome_proficiency(self, context: str, context_id: object) -> list[dict[str, Any]] | None:
        """The mastery scale's ratings set on `accounts/:id` or `courses/:id`; None where it sets none."""
        try:
            ratings = self.get(f"/{context}/{context_id}/outcome_proficiency").get("ratings")
        except NoScale:
            return None
        return ratings or None

    def rollups(self, course_id: int) -> list[dict[str, Any]]:
        """Per-student outcome scores, aggregated by each outcome's calculation method."""
        params = {"exclude[]": "missing_user_rollups"}
        return list(self.list(f"/courses/{course_id}/outcome_rollups", params, key="rollups"))
