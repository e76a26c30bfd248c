"""lerconnect source plugin for Instructure Canvas LMS."""

from __future__ import annotations

from collections.abc import Callable

from connector_core import hookimpl
from lerconnect_canvas.config import Config
from lerconnect_canvas.source import CanvasSource

__version__ = "0.1.0"
__all__ = ["CanvasSource", "Config", "lerconnect_register_sources"]


@hookimpl
def lerconnect_register_sources(register: Callable[[type], None]) -> None:
    register(CanvasSource)
