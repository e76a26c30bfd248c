"""lerconnect source plugin for Workday: Student, HCM and Learning over Workday Web Services."""

from __future__ import annotations

from collections.abc import Callable

from connector_core import hookimpl
from lerconnect_workday.config import Config
from lerconnect_workday.source import WorkdaySource

__version__ = "0.1.0"
__all__ = ["Config", "WorkdaySource", "lerconnect_register_sources"]


@hookimpl
def lerconnect_register_sources(register: Callable[[type], None]) -> None:
    register(WorkdaySource)
