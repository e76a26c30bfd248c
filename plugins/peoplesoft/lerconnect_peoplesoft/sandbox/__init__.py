"""The PeopleSoft sandbox: an Integration Broker imitation served over real HTTP from the sandbox campus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connector_core import SandboxServer
from connector_core.sandbox import Campus
from lerconnect_peoplesoft.config import DEFAULT_NAMES
from lerconnect_peoplesoft.sandbox.app import NODE, USERS, PeopleSoftSandbox, Tuning
from lerconnect_peoplesoft.sandbox.data import INSTITUTION

USERNAME = "LER_INTEGRATION"
__all__ = ["NODE", "USERNAME", "USERS", "PeopleSoftSandbox", "Tuning", "build_sandbox", "sandbox_config"]


def sandbox_config(
    app: PeopleSoftSandbox, base_url: str | None, *, mode: str = "qas_soap", execution: str = "sync"
) -> dict[str, Any]:
    """Config pointing a PeopleSoft source at the sandbox: every query, every term."""
    terms = [t.code for t in app.campus.terms]
    run = {"execution": execution, "poll_interval_seconds": 0.01}
    return {
        "gateway_url": f"{base_url}/PSIGW/PeopleSoftServiceListeningConnector",
        "node": NODE,
        "username": USERNAME,
        "password": USERS[USERNAME],
        "mode": mode,
        "queries": {
            "grades": {"name": DEFAULT_NAMES["grades"], "prompts": {"INSTITUTION": INSTITUTION, "STRM": terms}, **run},
            "honors": {"name": DEFAULT_NAMES["honors"], "prompts": {"INSTITUTION": INSTITUTION}, **run},
            "groups": {"name": DEFAULT_NAMES["groups"], "prompts": {"INSTITUTION": INSTITUTION}, **run},
            "competencies": {"name": DEFAULT_NAMES["competencies"], **run},
        },
    }


def build_sandbox(
    campus: Campus, *, tuning: Tuning | None = None, mode: str = "qas_soap", execution: str = "sync"
) -> SandboxServer:
    """`SandboxServer` whose `app` is the `PeopleSoftSandbox` (tests reach `app.tables`, `app.tuning`, `app.stats`)."""
    app = PeopleSoftSandbox(campus, tuning)

    def config(base_url: str | None, workdir: Path) -> dict[str, Any]:
        return sandbox_config(app, base_url, mode=mode, execution=execution)

    return SandboxServer(config=config, app=app)
