"""The claim page over loopback HTTP: the link is single-use, expiring, CSRF-protected and rate-limited;
a learner sees and downloads only their own credentials; bad input gets ProblemDetails, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from claim_kit import claim_rows, delivery_campus, links_of, open_claim, serve, sync_and_issue, verify
from serving import Served
from sqlalchemy import update

from connector_core.store.tables import ClaimLinkRow


@pytest.fixture
def night(tmp_path: Path, store, monkeypatch) -> Iterator[tuple[Served, dict[str, str]]]:
    """A served campus after a night: claim URL per learner email."""
    campus = delivery_campus(tmp_path, store, monkeypatch)
    sync_and_issue(campus)
    urls = {row["email"]: row["claim_url"] for row in claim_rows(tmp_path / "claims")}
    services, running = serve(campus)
    with running as base, requests.Session() as http:
        yield Served(campus, services, base, http), urls


def test_the_link_opens_the_learners_own_records_once(night) -> None:
    served, urls = night
    landing = served.get(urls["s1@example.edu"].removeprefix("http://127.0.0.1:8080"))
    assert landing.status_code == 200 and "Open my records" in landing.text
    assert (
        served.get(urls["s1@example.edu"].removeprefix("http://127.0.0.1:8080")).status_code == 200
    )  # GET spends nothing
    page = open_claim(served, urls["s1@example.edu"])
    assert page.status_code == 200 and page.url.endswith("/claim/records")
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "Course 1" in page.text and "Course 5" in page.text and "Comprehensive learner record" in page.text
    assert "Course 2" not in page.text  # S2's
    assert "Grade" in page.text and ">B<" in page.text
    links = links_of(page.text)
    assert links["lcw"].startswith("dccrequest://request?") and "vc_request_url=" in links["lcw"]
    path = urls["s1@example.edu"].removeprefix("http://127.0.0.1:8080")
    again = served.get(path)  # a second use of the same link is refused
    assert again.status_code == 410 and "already been used" in again.text
    form = {"token": path.rsplit("/", 1)[1], "csrf_token": served.http.cookies["lerconnect-csrf"]}
    replay = served.post("/claim", data=form)
    assert replay.status_code == 410 and "already been used" in replay.text


def test_downloads_are_the_learners_own_signed_json(night) -> None:
    served, urls = night
    page = open_claim(served, urls["s0@example.edu"])
    mine = [h for h in page.text.split('"') if h.startswith("/claim/download/")]
    assert len(mine) == 3  # two courses and the CLR
    response = served.get(mine[0])
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    document = response.json()
    assert verify(served, document).verified
    own = {m.removeprefix("/claim/download/") for m in mine}
    theirs = next(r.id for r in served.campus.live() if r.id not in own)
    assert served.get(f"/claim/download/{theirs}").status_code == 404


def test_an_expired_or_unknown_link_and_a_missing_session_are_refused(night) -> None:
    served, urls = night
    with served.campus.store.session() as session:
        session.execute(update(ClaimLinkRow).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    expired = served.get(urls["s2@example.edu"].removeprefix("http://127.0.0.1:8080"))
    assert expired.status_code == 410 and "expired" in expired.text
    assert served.get("/claim/" + "x" * 43).status_code == 404
    records = served.get("/claim/records")
    assert records.status_code == 401 and records.headers["content-type"] == "application/problem+json"
    assert "open the claim link" in records.json()["detail"]


def test_the_form_needs_its_csrf_token_and_a_token(night) -> None:
    served, urls = night
    token = urls["s3@example.edu"].rsplit("/", 1)[1]
    forged = served.post("/claim", data={"token": token})
    assert forged.status_code == 403 and forged.json()["title"] == "CSRF check failed"
    missing = served.post("/claim", data={"csrf_token": "x"})
    assert missing.status_code == 400 and missing.headers["content-type"] == "application/problem+json"
    assert open_claim(served, urls["s3@example.edu"]).status_code == 200  # the refused posts spent nothing


def test_claim_links_are_rate_limited(tmp_path: Path, store, monkeypatch) -> None:
    campus = delivery_campus(tmp_path, store, monkeypatch)
    campus.settings = campus.settings.model_copy(
        update={"serve": campus.settings.serve.model_copy(update={"rate_limit_per_minute": 5})}
    )
    sync_and_issue(campus)
    _services, running = serve(campus)
    with running as base:
        codes = [requests.get(f"{base}/claim/{'y' * 43}", timeout=10).status_code for _ in range(8)]
    assert codes[:5] == [404] * 5 and codes[5:] == [429] * 3
