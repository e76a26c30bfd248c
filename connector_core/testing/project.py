"""The `lerconnect.toml` text tests write: an issuer table, and a files source over a grades CSV.

Tests of the CLI, the issuer lock and plugins' hold handling each need a small real project on disk;
these give them the same tables, so a change to the configuration shape is made once.
"""

from __future__ import annotations

GRADE_COLUMNS = {
    "record_id": "id",
    "learner_id": "student",
    "institution_id": "student",
    "achievement_id": "course",
    "title": "title",
    "grade": "grade",
    "completed_on": "completed",
}
"""The header a test's grades CSV has (`id, student, course, title, grade, completed`), as `columns`."""


def issuer_toml(passphrase_env: str, *, key_file: str = "key.pem") -> str:
    """`[issuer]` for a test campus: key passphrase from `passphrase_env`, status lists in `status/`."""
    return f"""
[issuer]
name = "Test University"
key_file = "{key_file}"
passphrase_env = "{passphrase_env}"
status_base_url = "https://test.example.edu/status"
status_dir = "status"
"""


def files_grades_toml(source: str, path: str, *, columns: dict[str, str] | None = None, **settings: object) -> str:
    """`[sources.<source>]`: the files plugin reading course grades from `path`.

    `columns` adds to (or overrides) `GRADE_COLUMNS`; `settings` are further keys of the source table
    (booleans and strings)."""
    extra = "".join(f"{key} = {_toml_value(value)}\n" for key, value in settings.items())
    mapped = "".join(f'{key} = "{value}"\n' for key, value in {**GRADE_COLUMNS, **(columns or {})}.items())
    return f"""
[sources.{source}]
plugin = "files"
{extra}[sources.{source}.files.grades]
path = "{path}"
kind = "course"
[sources.{source}.files.grades.columns]
{mapped}"""


def _toml_value(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else f'"{value}"'
