"""lerconnect-files: import CSV and JSON Lines exports as learning records."""

from connector_core import hookimpl
from lerconnect_files.source import FilesSource

__all__ = ["FilesSource"]


@hookimpl
def lerconnect_register_sources(register):
    register(FilesSource)
