"""lerconnect source plugin for Oracle PeopleSoft Campus Solutions and HCM (Query Access Service)."""

from __future__ import annotations

from collections.abc import Callable

from connector_core import hookimpl
from lerconnect_peoplesoft.config import Config
from lerconnect_peoplesoft.source import PeopleSoftSource

__version__ = "0.1.0"
__all__ = ["Config", "PeopleSoftSource", "lerconnect_register_sources"]


@hookimpl
def lerconnect_register_sources(register: Callable[[type], None]) -> None:
    register(PeopleSoftSource)
