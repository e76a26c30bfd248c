"""Banner's persons privacy category is a FERPA hold: issuing waits for a completed Banner pass.

An LMS export (files, no hold column) carries grades for two Banner students, one of them
restricted in Banner. The night Banner's grades pass dies on the page that carries the restricted
student, nothing may be issued from the LMS's records (the hold is in the pass that did not end);
the next night Banner completes, the unrestricted student is issued and the restricted one held.
Everything goes through `lerconnect sync` and `lerconnect credentials list`, as an operator runs them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from banner_testkit import banner
from lerconnect_banner import BannerSource

from connector_core.sandbox import build_campus
from connector_core.testing import (
    SyncBench,
    check_source_contract,
    files_grades_toml,
    issuer_toml,
    run_cli,
    run_contract,
    serve_sandbox,
)

PASSPHRASE_ENV = "BANNER_HOLDS_TEST_PASSPHRASE"
RECORD_RESOURCES = ("/api/student-transcript-grades", "/api/section-registrations")


class DiesOnPagesOf:
    """Wraps the Ethos sandbox: while `broken`, a grades page naming `student` (a persons GUID) is
    refused with HTTP 403, so the pass ends failed after the pages before it were committed."""

    def __init__(self, app: Any, student: str) -> None:
        self.app, self.student, self.broken = app, student, True

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not self.broken or not environ.get("PATH_INFO", "").startswith(RECORD_RESOURCES):
            return self.app(environ, start_response)
        said: list[Any] = []
        body = b"".join(self.app(environ, lambda status, headers, *_: said.append((status, headers))))
        rows = json.loads(body) if said[0][0].startswith("200") else []
        if any(self.student in (r.get("student", {}).get("id"), r.get("registrant", {}).get("id")) for r in rows):
            start_response("403 Forbidden", [("Content-Type", "application/json")])
            return [b'{"errors": [{"code": "Global.Forbidden", "message": "sandbox: this page dies"}]}']
        start_response(*said[0])
        return [body]


def write_project(folder: Path, banner_table: dict[str, Any], students: list[str]) -> Path:
    """The operator's project: Banner's grades stream, an LMS export for `students`, an issuer."""
    with (folder / "lms.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "student", "course", "title", "grade", "completed"])
        writer.writerows(
            [f"lms-{i}", s, "LMS-101", "Studio Practice", "A", "2026-05-10"] for i, s in enumerate(students)
        )
    banner_keys = "\n".join(f"{k} = {json.dumps(v)}" for k, v in banner_table.items())
    config = folder / "lerconnect.toml"
    config.write_text(
        issuer_toml(PASSPHRASE_ENV)
        + files_grades_toml("lms", "lms.csv")
        + f"""
[sources.banner]
plugin = "banner"
streams = ["grades"]
page_size = 10
{banner_keys}
"""
    )
    return config


def live_credentials(config: Path, learner: str) -> list[dict[str, Any]]:
    listed = run_cli(
        "--config", str(config), "credentials", "list", "--status", "active", "--learner", learner, "--json"
    )
    assert listed.exit_code == 0, listed.output
    return json.loads(listed.stdout)


def test_a_banner_pass_that_dies_midway_keeps_the_hold_then_the_next_one_opens_the_gate(
    bench: SyncBench, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    campus = build_campus(learners=40, seed=7)
    with banner(campus) as running:
        persons = running.app.data.resources["persons"]
        held = next(
            p for p in reversed(campus.people) if p.banner_id and any(r["id"] == p.banner_guid for r in persons)
        )
        free = next(p for p in campus.people if p.banner_id and p is not held and not p.confidential)
        row = next(r for r in persons if r["id"] == held.banner_guid)
        row["privacyStatus"] = {"privacyCategory": "restricted"}
        faulty = DiesOnPagesOf(running.app, held.banner_guid)
        with serve_sandbox(faulty) as url:
            table = {**running.table, "ethos_url": url}
            config = write_project(tmp_path, table, [held.banner_id, free.banner_id])
            monkeypatch.setenv(PASSPHRASE_ENV, "correct horse battery staple")
            monkeypatch.setenv("LERCONNECT_DB", bench.store.url)
            generated = run_cli("--config", str(config), "keys", "generate")
            assert generated.exit_code == 0, generated.output

            first = run_cli("--config", str(config), "sync", "--json")
            night = json.loads(first.stdout)
            status = {(r["source"], r["stream"]): r["status"] for r in night["runs"]}
            assert status == {("lms", "grades"): "succeeded", ("banner", "grades"): "failed"}
            assert bench.records(source="banner"), "the pass died midway: its first pages are stored"
            assert held.banner_id not in {
                r.data["learner"]["source_id"] for r in bench.records(source="banner").values()
            }
            assert night["issuing"]["issued"] == 0 and night["issuing"]["held"] >= 2
            assert live_credentials(config, held.banner_id) == []
            assert live_credentials(config, free.banner_id) == []  # the gate is closed for everyone

            faulty.broken = False
            second = json.loads(run_cli("--config", str(config), "sync", "--json").stdout)
    assert {r["status"] for r in second["runs"]} == {"succeeded"}
    assert live_credentials(config, held.banner_id) == []
    lms_record = bench.records(source="lms")["lms-1"]  # the free student's LMS grade
    assert lms_record.id in {c["record_id"] for c in live_credentials(config, free.banner_id)}


class HoldsUndeclared(BannerSource):
    """Banner as it was before it declared its holds: what the plugin test kit must refuse."""

    def flags_holds(self, stream: str) -> bool:
        return False


@pytest.mark.parametrize("mode", ["ethos", "banner9"])
@pytest.mark.parametrize("cocurricular", ["campus-involvements", "student-cohort-assignments", "activities"])
def test_every_stream_in_every_mode_declares_the_holds_its_persons_carry(mode: str, cocurricular: str) -> None:
    with banner(build_campus(learners=12, seed=7), mode=mode) as running:
        for row in running.app.data.resources["persons"][::3]:
            row["privacyStatus"] = {"privacyCategory": "restricted"}
        table = {**running.table, "cocurricular": cocurricular}
        report = check_source_contract(BannerSource, table)
        undeclared = run_contract(HoldsUndeclared, table)
    assert report.records["grades"] and report.records["cocurricular"]
    caught = {p.split(":", 1)[0] for p in undeclared.problems if "flags_holds" in p}
    assert caught == {"grades", "cocurricular"}, undeclared.summary()
