"""The Banner sandbox: an Ethos Integration imitation served over real HTTP from the sandbox campus."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from connector_core import SandboxServer
from connector_core.sandbox import Campus
from lerconnect_banner.sandbox.app import API_KEY, BANNER_USERS, EthosSandbox
from lerconnect_banner.sandbox.data import EthosData

__all__ = ["API_KEY", "BANNER_USERS", "EthosData", "EthosSandbox", "build_sandbox", "sandbox_config"]


def sandbox_config(base_url: str | None, mode: Literal["ethos", "banner9"] = "ethos") -> dict[str, Any]:
    """Config pointing a Banner source at the sandbox (unverified grades on, to show them flagged)."""
    if mode == "banner9":
        user, password = next(iter(BANNER_USERS.items()))
        return {
            "mode": "banner9",
            "base_url": base_url,
            "username": user,
            "password": password,
            "unverified_grades": True,
        }
    return {"ethos_url": base_url, "api_key": API_KEY, "unverified_grades": True}


def build_sandbox(campus: Campus, *, mode: Literal["ethos", "banner9"] = "ethos", **options: Any) -> SandboxServer:
    """`SandboxServer` whose `app` is the `EthosSandbox` (tests reach `app.data`, `app.queue`, `app.stats`)."""
    app = EthosSandbox(campus, **options)

    def config(base_url: str | None, workdir: Path) -> dict[str, Any]:
        return sandbox_config(base_url, mode)

    return SandboxServer(config=config, app=app)
