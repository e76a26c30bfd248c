"""The Canvas sandbox: a Canvas imitation served over real HTTP from the sandbox campus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connector_core import SandboxServer
from connector_core.sandbox import BucketTuning, Campus
from lerconnect_canvas.sandbox.app import TOKENS, CanvasSandbox, Grant
from lerconnect_canvas.sandbox.data import COCURRICULAR, CanvasData, MasteryScales

ADMIN_TOKEN = "sandbox-admin-token"  # noqa: S105 - a sandbox token, valid only against the sandbox

__all__ = [
    "ADMIN_TOKEN",
    "TOKENS",
    "BucketTuning",
    "CanvasData",
    "CanvasSandbox",
    "Grant",
    "MasteryScales",
    "build_sandbox",
    "sandbox_config",
]


def sandbox_config(app: CanvasSandbox, base_url: str | None, token: str = ADMIN_TOKEN) -> dict[str, Any]:
    """Config pointing a Canvas source at the sandbox: every term, the co-curricular sub-account.

    Terms are listed by SIS id, or by Canvas id for a token that is shown no SIS ids.
    """
    grant = app.tokens.get(token)
    sis = grant is None or grant.sis
    return {
        "base_url": base_url,
        "token": token,
        "terms": [t["sis_term_id"] if sis else str(t["id"]) for t in app.data.terms if t["sis_term_id"]],
        "cocurricular": {"sub_account_ids": [str(COCURRICULAR)], "course_code_pattern": "^CC-"},
    }


def build_sandbox(
    campus: Campus,
    *,
    tuning: BucketTuning | None = None,
    max_per_page: int = 100,
    token: str = ADMIN_TOKEN,
    mastery_scales: MasteryScales = "outcome",
) -> SandboxServer:
    """`SandboxServer` whose `app` is the `CanvasSandbox` (so tests can reach `app.data` and `app.stats`)."""
    app = CanvasSandbox(campus, tuning=tuning, max_per_page=max_per_page, mastery_scales=mastery_scales)

    def config(base_url: str | None, workdir: Path) -> dict[str, Any]:
        return sandbox_config(app, base_url, token)

    return SandboxServer(config=config, app=app)
