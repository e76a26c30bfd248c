"""lerconnect source plugin for Ellucian Banner, through Ethos Integration (or the Banner 9 Student API)."""

from __future__ import annotations

from collections.abc import Callable

from connector_core import hookimpl
from lerconnect_banner.config import Config
from lerconnect_banner.source import BannerSource

__version__ = "0.1.0"
__all__ = ["BannerSource", "Config", "lerconnect_register_sources"]


@hookimpl
def lerconnect_register_sources(register: Callable[[type], None]) -> None:
    register(BannerSource)
