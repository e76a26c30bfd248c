"""The files plugin: the test kit's contract, fingerprint increments, CSV and JSON Lines, dead
letters that name the column, and resuming in the middle of a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lerconnect_files import FilesSource

from connector_core import Page, RecordError, testing
from connector_core.sandbox import build_campus
from connector_core.testing import RunResult, SyncBench, SyncEngine, check_source_contract

COLUMNS = {
    "record_id": "id",
    "learner_id": "student",
    "institution_id": "student",
    "achievement_id": "activity",
    "title": "title",
    "completed_on": "completed",
    "status": "status",
    "score": "score",
}
HEADER = "id,student,activity,title,completed,status,score"


def csv_rows(count: int, start: int = 0) -> list[str]:
    return [
        f"r{i:03d},S{i:03d},ACT-{i % 4},Activity {i % 4},2025-10-{1 + i % 28:02d},completed,{i}"
        for i in range(start, start + count)
    ]


def write_csv(path: Path, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")


def fileset(pattern: str, **extra: Any) -> dict[str, Any]:
    return {"path": pattern, "columns": COLUMNS, **extra}


def make_engine(bench: SyncBench, files: dict[str, Any], **options: Any) -> SyncEngine:
    """The engine over one files source named `engage`, its paths relative to the test's folder; each
    page a commit of its own, so that a test can stop it between two pages."""
    return bench.engine(FilesSource, {"files": files}, name="engage", engine_table={"commit_records": 1}, **options)


def only(results: list[RunResult]) -> RunResult:
    (result,) = results
    assert result.status in {"succeeded", "interrupted"}, result.error
    return result


def test_the_files_plugin_meets_the_contract_with_its_sandbox() -> None:
    broken = {"files": {"cocurricular": fileset("/nonexistent/lerconnect/*.csv")}}
    report = check_source_contract(
        FilesSource, None, bad_config_table=broken, campus=build_campus(learners=15, seed=11)
    )
    assert report.records["cocurricular"] > 5


def test_the_contract_over_many_pages_and_two_formats(tmp_path: Path) -> None:
    write_csv(tmp_path / "export" / "a.csv", csv_rows(7))
    write_csv(tmp_path / "export" / "b.csv", csv_rows(6, start=7))
    lines = [
        json.dumps(
            {
                "id": f"j{i}",
                "student": f"S{i:03d}",
                "activity": "LAB",
                "title": "Lab Safety",
                "completed": "2025-09-01",
                "score": i,
            }
        )
        for i in range(5)
    ]
    (tmp_path / "training.jsonl").write_text("\n".join(lines) + "\n")
    table = {
        "files": {
            "cocurricular": fileset("export/*.csv", page_size=3),
            "training": fileset("*.jsonl", kind="training", page_size=2),
        }
    }
    broken = {"files": {"cocurricular": fileset("missing/*.csv")}}
    report = check_source_contract(FilesSource, table, bad_config_table=broken, base_dir=tmp_path)
    assert report.records == {"cocurricular": 13, "training": 5}


def test_an_unchanged_file_is_skipped_and_a_changed_one_reread(lerconnect_sync: SyncBench, tmp_path: Path) -> None:
    export = tmp_path / "export" / "engage.csv"
    write_csv(export, csv_rows(6))
    engine = make_engine(lerconnect_sync, {"cocurricular": fileset("export/*.csv", page_size=4)})
    assert only(engine.sync("engage")).count("new") == 6

    unchanged = only(engine.sync("engage"))
    assert (unchanged.count("pages"), unchanged.count("fetched")) == (0, 0), "an unchanged file is not read"
    assert lerconnect_sync.run(unchanged.run_id).pages == 0

    write_csv(export, csv_rows(7))  # one row appended
    appended = only(engine.sync("engage"))
    assert [appended.count(k) for k in ("fetched", "new", "unchanged", "changed")] == [7, 1, 6, 0]

    rows = csv_rows(7)
    rows[2] = rows[2].replace("completed,2", "failed,2")
    write_csv(export, rows)
    changed = only(engine.sync("engage"))
    assert [changed.count(k) for k in ("fetched", "new", "unchanged", "changed")] == [7, 0, 6, 1]
    stored = lerconnect_sync.records(source="engage")
    assert stored["r002"].data["result"]["status"] == "failed"
    assert len(stored) == 7


def test_csv_and_json_lines_streams(lerconnect_sync: SyncBench, tmp_path: Path) -> None:
    write_csv(tmp_path / "engage.csv", csv_rows(3))
    (tmp_path / "lms.jsonl").write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "id": "j1",
                        "student": "S001",
                        "activity": "LAB",
                        "title": "Lab Safety",
                        "completed": "2025-09-01",
                        "score": 92.5,
                    }
                ),
                "",
                json.dumps(
                    {"id": "j2", "student": "S002", "activity": "LAB", "title": "Lab Safety", "status": "in progress"}
                ),
            ]
        )
        + "\n"
    )
    engine = make_engine(
        lerconnect_sync, {"cocurricular": fileset("*.csv"), "training": fileset("*.jsonl", kind="training")}
    )

    results = {r.stream: r for r in engine.sync("engage")}

    assert {s: (r.status, r.count("new")) for s, r in results.items()} == {
        "cocurricular": ("succeeded", 3),
        "training": ("succeeded", 2),
    }
    stored = {k: row.data for k, row in lerconnect_sync.records(stream="training").items()}
    assert stored["j1"]["result"]["score"] == 92.5 and stored["j1"]["achievement"]["kind"] == "training"
    assert stored["j1"]["learner"]["source_id"] == "S001" and stored["j1"]["completed_on"] == "2025-09-01"
    assert stored["j2"]["result"]["status"] == "in_progress" and stored["j2"]["completed_on"] is None


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        (
            "r900,S900,ACT-1,Club,15/12/2025,completed,1",
            "completed",
            "'15/12/2025' is not a date in the format %Y-%m-%d",
        ),
        ("r901,S901,ACT-1,,2025-10-01,completed,1", "title", "column 'title' is empty or missing"),
        ("r902,S902,ACT-1,Club,2025-10-01,graduated,1", "status", "'graduated' is not a status (one of completed"),
        ("r903,S903,ACT-1,Club,2025-10-01,completed,lots", "score", "'lots' is not a number"),
        (",S904,ACT-1,Club,2025-10-01,completed,1", "id", "column 'id' is empty or missing"),
    ],
)
def test_a_malformed_row_dead_letters_naming_the_column(
    lerconnect_sync: SyncBench, tmp_path: Path, row: str, field: str, reason: str
) -> None:
    rows = csv_rows(4)
    write_csv(tmp_path / "engage.csv", [*rows[:2], row, *rows[2:]])
    engine = make_engine(lerconnect_sync, {"cocurricular": fileset("*.csv", page_size=2)})

    result = only(engine.sync("engage"))

    assert (result.status, result.count("new"), result.count("dead_lettered")) == ("succeeded", 4, 1)
    (letter,) = lerconnect_sync.dead_letters(run_id=result.run_id)
    assert letter.field == field
    assert letter.reason.startswith(reason), letter.reason
    assert letter.raw["_file"] == "engage.csv" and letter.raw["_line"] == 4
    assert letter.source_record_id == (row.split(",")[0] or "engage.csv:4")


def test_a_broken_json_line_dead_letters_with_its_line(lerconnect_sync: SyncBench, tmp_path: Path) -> None:
    good = json.dumps({"id": "j1", "student": "S1", "activity": "A", "title": "T"})
    (tmp_path / "feed.jsonl").write_text(f'{good}\n{{"id": "j2", "student": \n[1, 2]\n')
    engine = make_engine(lerconnect_sync, {"training": fileset("*.jsonl", kind="training")})

    result = only(engine.sync("engage"))

    assert (result.count("new"), result.count("dead_lettered")) == (1, 2)
    letters = sorted(lerconnect_sync.dead_letters(run_id=result.run_id), key=lambda d: d.source_record_id)
    assert [(d.source_record_id, d.field) for d in letters] == [("feed.jsonl:2", "(row)"), ("feed.jsonl:3", "(row)")]
    assert letters[0].reason.startswith("not valid JSON: ")
    assert letters[1].reason == "a JSON Lines row must be an object"


def test_a_stopped_run_resumes_in_the_middle_of_a_file(lerconnect_sync: SyncBench, tmp_path: Path) -> None:
    write_csv(tmp_path / "export" / "a.csv", csv_rows(4))
    write_csv(tmp_path / "export" / "b.csv", csv_rows(9, start=4))
    files = {"cocurricular": fileset("export/*.csv", page_size=2)}
    pages_seen: list[int] = []

    def stop_in_b(result: RunResult, page: Page) -> None:
        pages_seen.append(len(page.records))
        if len(pages_seen) == 5:  # a.csv: 2 full pages + its closing page; then 2 pages of b.csv
            engine.stop.set()

    engine = make_engine(lerconnect_sync, files, on_page=stop_in_b)
    first = only(engine.sync("engage"))
    assert (first.status, first.count("new")) == ("interrupted", 8)
    cursor = lerconnect_sync.cursor("engage", "cocurricular")
    assert set(cursor["done"]) == {"a.csv"} and cursor["current"]["row"] == 4

    resumed = only(make_engine(lerconnect_sync, files).sync("engage"))

    assert resumed.status == "succeeded"
    assert [resumed.count(k) for k in ("fetched", "new", "unchanged", "withdrawn")] == [5, 5, 0, 0]
    stored = set(lerconnect_sync.records(source="engage"))
    assert stored == {f"r{i:03d}" for i in range(13)}


def _csv_bytes(rows: list[str], encoding: str = "utf-8") -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode(encoding)


GOOD = csv_rows(6)
BAD_VALUES = {
    "a byte that is not UTF-8": (
        _csv_bytes(GOOD[:2])
        + b"r900,S900,ACT-1,Caf\xe9 Club,2025-10-01,completed,1\n"
        + _csv_bytes(GOOD[2:])[len(HEADER) + 1 :],
        ("title", "byte 0xe9 at position 3 is not valid utf-8"),
    ),
    "a NUL byte": (
        _csv_bytes([*GOOD[:2], "r900,S900,ACT-1,Club\x00,2025-10-01,completed,1", *GOOD[2:]]),
        ("title", ""),
    ),
    "a score of 1e999": (
        _csv_bytes([*GOOD[:2], "r900,S900,ACT-1,Club,2025-10-01,completed,1e999", *GOOD[2:]]),
        ("score", ""),
    ),
    "a field over the CSV field limit": (
        _csv_bytes([*GOOD[:2], f"r900,S900,ACT-1,{'x' * 200_000},2025-10-01,completed,1", *GOOD[2:]]),
        ("title", "field larger than field limit"),
    ),
    "a quote that is never closed": (
        _csv_bytes([*GOOD[:2], 'r900,S900,ACT-1,"Club,2025-10-01,completed,1', *GOOD[2:]]),
        (None, "a quote opened in line 4 is not closed before line 5"),
    ),
    "a row with a missing field": (
        _csv_bytes([*GOOD[:2], "r900,S900,ACT-1,Club,2025-10-01,completed", *GOOD[2:]]),
        ("(row)", "has 6 fields, the header has 7"),
    ),
}


@pytest.mark.parametrize("case", list(BAD_VALUES))
def test_one_bad_value_dead_letters_its_row_and_the_rest_is_stored(
    lerconnect_sync: SyncBench, tmp_path: Path, case: str
) -> None:
    content, (field, reason) = BAD_VALUES[case]
    (tmp_path / "engage.csv").write_bytes(content)
    engine = make_engine(lerconnect_sync, {"cocurricular": fileset("*.csv", page_size=4)})

    result = only(engine.sync("engage"))

    assert (result.status, result.count("new"), result.count("dead_lettered")) == ("succeeded", 6, 1), result
    stored = set(lerconnect_sync.records(source="engage"))
    assert stored == {f"r{i:03d}" for i in range(6)}
    (letter,) = lerconnect_sync.dead_letters(run_id=result.run_id)
    assert letter.raw["_file"] == "engage.csv" and letter.raw["_line"] == 4, letter.raw
    assert (letter.field or "(row)") == (field or "(row)") and reason in letter.reason, (letter.field, letter.reason)


def test_a_utf16_export_is_read_whole(lerconnect_sync: SyncBench, tmp_path: Path) -> None:
    (tmp_path / "engage.csv").write_bytes(_csv_bytes(["r001,S001,ACT-1,Café Club,2025-10-01,completed,1"], "utf-16"))
    engine = make_engine(lerconnect_sync, {"cocurricular": fileset("*.csv")})

    assert only(engine.sync("engage")).count("new") == 1
    (row,) = lerconnect_sync.records(source="engage").values()
    assert row.data["achievement"]["title"] == "Café Club"


def test_a_duplicate_record_id_with_other_content_is_dead_lettered_not_last_one_wins(
    lerconnect_sync: SyncBench, tmp_path: Path
) -> None:
    rows = csv_rows(4)
    changed = rows[1].replace("Activity 1", "Activity Renamed")
    write_csv(tmp_path / "engage.csv", [*rows, rows[0], changed])  # r000 repeated as is, r001 with other content
    engine = make_engine(lerconnect_sync, {"cocurricular": fileset("*.csv", page_size=2)})

    result = only(engine.sync("engage"))

    assert (result.count("new"), result.count("dead_lettered")) == (4, 1)
    (letter,) = lerconnect_sync.dead_letters(run_id=result.run_id)
    assert letter.source_record_id == "r001" and letter.raw["_line"] == 7
    assert "appears again with different content (first in engage.csv line 3)" in letter.reason
    stored = {k: row.data for k, row in lerconnect_sync.records(source="engage").items()}
    assert stored["r001"]["achievement"]["title"] == "Activity 1"


def test_a_column_named_by_a_number_is_accepted_as_written_in_toml(tmp_path: Path) -> None:
    (tmp_path / "hours.csv").write_text("1,2,3,4\nr1,S001,ACT-1,Clinical hours\n", encoding="utf-8")
    numbered = {"record_id": 1, "learner_id": 2, "achievement_id": 3, "title": 4}  # a headerless sheet's numbers
    table = {"files": {"training": {"path": "hours.csv", "columns": numbered}}}
    source = testing.make_source(FilesSource, table, base_dir=tmp_path)
    (page,) = list(source.pull("training", None))
    (record,) = source.normalize("training", page.records[0])
    assert (record.learner.source_id, record.achievement.title) == ("S001", "Clinical hours")


def test_an_updated_at_that_is_not_a_timestamp_names_its_column(tmp_path: Path) -> None:
    (tmp_path / "feed.csv").write_text("id,student,activity,title,changed\nr1,S1,A,T,last tuesday\n", encoding="utf-8")
    columns = {"record_id": "id", "learner_id": "student", "achievement_id": "activity", "title": "title"}
    table = {"files": {"training": {"path": "feed.csv", "columns": {**columns, "updated_at": "changed"}}}}
    source = testing.make_source(FilesSource, table, base_dir=tmp_path)
    (page,) = list(source.pull("training", None))
    with pytest.raises(RecordError) as caught:
        list(source.normalize("training", page.records[0]))
    assert caught.value.field == "changed" and "'last tuesday' is not an ISO 8601 timestamp" in str(caught.value)
