"""Canvas's REST API as this plugin uses it: what a throttled or refused answer looks like, and the calls.

Everything generic (retries, backoff, Link paging, timeouts) is `connector_core.http`; this module
only knows Canvas: the 403 `Rate Limit Exceeded` body, `X-Rate-Limit-Remaining`, the two kinds of
401, wrapped bodies, and which permission each endpoint needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import requests

from connector_core import SourceAuthError, SourceError, SourcePermissionError
from connector_core.http import Backoff, LinkHeaderPaginator, RemainingBudgetWatcher, RestClient, error_summary
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
)


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
    if response.status_code == 404:
        return SourceError(
            f"{endpoint}: HTTP 404 ({summary}): check base_url, account_id and the term / sub-account ids in config"
        )
    return None


def rollups_next(response: requests.Response) -> str | None:
    """Outcome rollups also carry JSON:API paging in the body (`meta.pagination.next`)."""
    try:
        return response.json().get("meta", {}).get("pagination", {}).get("next")
    except (ValueError, AttributeError):
        return None


class CanvasClient:
    """The Canvas calls this plugin makes; each list call follows every page and unwraps bodies."""

    def __init__(self, config: Config, *, backoff: Backoff | None = None) -> None:
        self.config = config
        low_water = config.rate_limit_low_water
        self.watcher = RemainingBudgetWatcher(
            "X-Rate-Limit-Remaining",
            low_water=UP_FRONT_COST * (config.max_concurrency + 1) if low_water is None else low_water,
            refill_per_second=config.rate_limit_refill_per_second,
        )
        self.http = RestClient(
            config.base_url,
            token=config.token,
            timeout=(10.0, config.timeout_seconds),
            verify=config.verify_tls,
            user_agent=USER_AGENT,
            max_retries=8,
            backoff=backoff or Backoff(initial=0.5, maximum=30.0),
            is_throttled=is_throttled,
            classify_error=classify_error,
            rate_limit=self.watcher,
            pool_size=config.max_concurrency + 2,
        )
        self.account = config.account_id

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.http.get(f"{API}{path}", params).json()

    def list(self, path: str, params: dict[str, Any] | None = None, *, key: str | None = None) -> Iterator[Any]:
        """Every item of a list endpoint; `key` unwraps `{"<key>": [...]}` bodies."""
        query = {"per_page": self.config.per_page, **(params or {})}
        paginator = LinkHeaderPaginator(body_next=rollups_next)
        for response in self.http.paginate(f"{API}{path}", paginator, params=query):
            body = response.json()
            yield from body[key] if key else body

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
        users = self.get(f"/accounts/{self.account}/users", {"per_page": 1})
        return users[0] if users else None

    def student_enrollments(self, course_id: int) -> list[dict[str, Any]]:
        """Concluded, inactive and deleted enrollments too: the default filter hides them."""
        params = {"type[]": "StudentEnrollment", "state[]": ["active", "completed", "inactive", "deleted"]}
        return list(self.list(f"/courses/{course_id}/enrollments", params))

    def outcome_links(self, course_id: int) -> list[dict[str, Any]]:
        return list(self.list(f"/courses/{course_id}/outcome_group_links", {"outcome_style": "full"}))

    def rollups(self, course_id: int) -> list[dict[str, Any]]:
        """Per-student outcome scores, aggregated by each outcome's calculation method."""
        params = {"exclude[]": "missing_user_rollups"}
        return list(self.list(f"/courses/{course_id}/outcome_rollups", params, key="rollups"))
