"""RaaS: every stream from the tenant's custom reports over loopback REST, and the same records as WWS."""

from __future__ import annotations

import pytest
from lerconnect_workday import columns
from workday_testkit import workday, wsdl_cache  # noqa: F401 - autouse fixture

from connector_core import RecordError, SourceAuthError, SourceError
from connector_core.testing import SyncBench, normalized_by_id, pull_all


def test_every_raas_stream_gives_the_records_wws_gives() -> None:
    with workday(page_size=50) as running:
        periods = sorted({t.code for t in running.campus.terms})[:3]
        wws = running.source(academic_periods=periods)
        raas = running.source(academic_periods=periods, raas=running.app.reports.table())
        for stream in wws.streams:
            over_soap, _ = pull_all(wws, stream)
            if stream == "competencies":  # the report lists the workers' competencies
                over_soap = [r for r in over_soap if r.get("kind") == "worker"]
            from_reports, cursors = pull_all(raas, stream)
            expected = normalized_by_id(wws, stream, over_soap)
            got = normalized_by_id(raas, stream, from_reports)
            assert expected and got == expected, stream
            assert cursors[-1]["mode"] == "raas" and cursors[-1]["done"]
        runs = dict(running.app.reports.runs)

    assert runs["LER_Course_Grades"] == len(periods)  # one run per academic period: each answer bounded
    assert all(runs[name] == 1 for name in runs if name != "LER_Course_Grades")


def test_reports_alone_need_no_wsdl_and_check_signs_in_over_basic() -> None:
    with workday(student_records=True) as running:
        source = running.source(raas=running.app.reports.table())
        said = source.check()
        pull_all(source, "grades")
        assert running.app.calls == {}  # no SOAP call, no WSDL: the streams all come from reports
    assert "RaaS: grades from isu_lerconnect/LER_Course_Grades" in said


def test_a_missing_column_names_the_alias_the_field_and_the_config_key() -> None:
    with workday() as running:
        table = running.app.reports.table()
        table["grades"]["columns"] = {**table["grades"]["columns"], "student_id": "Learner_ID"}
        source = running.source(raas=table)
        with pytest.raises(SourceError) as raised:
            pull_all(source, "grades")
    message = str(raised.value)
    assert "'Learner_ID' for student_id" in message and ".raas.grades.columns] student_id" in message
    assert "Student_ID" in message  # the first row's columns, to pick the right alias from


def test_a_wrong_password_is_an_auth_error_naming_the_fix() -> None:
    with workday() as running:
        source = running.source(raas=running.app.reports.table(), password="wrong")
        with pytest.raises(SourceAuthError, match=r"HTTP 401.*refused isu_lerconnect.*ISU passwords expire"):
            pull_all(source, "employment")
        with pytest.raises(SourceAuthError):
            source.check()


def test_a_malformed_row_is_dead_lettered_and_the_rest_stored(lerconnect_sync: SyncBench) -> None:
    with workday() as running:
        running.app.registrations[3]["grade"] = ["A", "B"]  # a multi-instance field where one grade belongs
        engine = running.engine(lerconnect_sync, raas=running.app.reports.table())
        result = engine.sync("workday", stream="grades")[0]
    letters = lerconnect_sync.dead_letters()
    assert result.status == "succeeded" and result.count("dead_lettered") == 1
    assert result.count("new") == len(running.campus.enrollments) - 1
    assert "Student_Grade holds 2 values" in str(letters[0].reason)
    assert letters[0].location == "LER_Course_Grades row 4"


def test_a_changed_worker_is_read_through_the_date_prompt(lerconnect_sync: SyncBench) -> None:
    with workday() as running:
        engine = running.engine(lerconnect_sync, raas=running.app.reports.table())
        full = engine.sync("workday", stream="employment")[0]
        tenant = running.app.tenant
        tenant.advance(days=2)
        employee = sorted(tenant.revisions)[0]
        tenant.retitle(employee, "Senior Library Assistant")
        tenant.advance(hours=1)
        incremental = engine.sync("workday", stream="employment")[0]

    assert full.count("new") == len(running.campus.jobs)
    assert not incremental.full and incremental.count("fetched") == 1  # only the worker changed since
    assert incremental.count("changed") == 1


def test_single_and_multi_instance_values() -> None:
    aliases = columns.LAYOUTS["employment"].aliases({})
    raw = columns.interpret(
        "employment",
        {
            "employee_id": ["21001"],  # a single-instance field given as a one-item list
            "position_id": "P-1;P-2",  # Simple XML's `;`-joined instances
            "start": ["2024-01-08", "2025-02-03-08:00"],
            "end": ["2025-02-02", None],
            "worker_type": [{"Descriptor": "Staff"}, {"Descriptor": "Staff"}],
        },
        aliases,
    )
    assert raw["employee_id"] == "21001"
    assert [(j["position_id"], j["start"], j["end"], j["worker_type"]) for j in raw["jobs"]] == [
        ("P-1", "2024-01-08", "2025-02-02", "Staff"),
        ("P-2", "2025-02-03-08:00", None, "Staff"),
    ]
    with pytest.raises(RecordError, match=r"different counts \(Position_ID 2, Start_Date 1\)"):
        columns.interpret(
            "employment", {"employee_id": "1", "position_id": ["P-1", "P-2"], "start": "2024-01-08"}, aliases
        )
