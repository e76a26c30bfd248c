"""The Workday sandbox: a tenant imitation on the sandbox campus (see `app`), and the config pointing at it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connector_core import Campus, SandboxServer
from lerconnect_workday.sandbox.app import WorkdayApp
from lerconnect_workday.sandbox.data import Tenant

__all__ = ["Tenant", "WorkdayApp", "build_sandbox"]
HCM_STREAMS = ["competencies", "employment", "learning"]


def build_sandbox(campus: Campus, *, student_records: bool = False, raas: bool = False, **tenant: Any) -> SandboxServer:
    """Serve every campus: HCM and Learning always; Workday Student's streams only when `student_records`.

    The demo campus keeps its grades and activities in its SIS (Banner, PeopleSoft), so by default the
    source reads only what Workday holds there: employment, worker competencies and learning.
    With `raas`, the config reads every stream from the tenant's custom reports instead of WWS.
    """
    app = WorkdayApp(Tenant(campus, **tenant))
    user, password = next(iter(app.tenant.users.items()))

    def config(base_url: str | None, workdir: Path) -> dict[str, Any]:
        table: dict[str, Any] = {
            "host": base_url,
            "tenant": app.tenant.name,
            "username": user,
            "password": password,
            "version": "v43.0",
            "page_size": 100,
            "log_lag_minutes": 0,
            "overlap_minutes": 5,
            "student_records": student_records,
        }
        if not student_records:
            table["streams"] = HCM_STREAMS
        if raas:
            table["raas"] = app.reports.table()
        return table

    return SandboxServer(config=config, app=app)
