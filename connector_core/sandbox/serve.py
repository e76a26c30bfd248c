"""Running sandboxes: a WSGI app on a loopback port, or a plugin's whole sandbox with its config."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug.serving import WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from connector_core.sandbox.campus import Campus
    from connector_core.source import Source


class _QuietHandler(WSGIRequestHandler):
    """Request lines would drown demo and test output; errors still go to the log."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@contextmanager
def serve(app: Callable[..., Any]) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 at a free port for the block; yields its base URL (no trailing /)."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="lerconnect-sandbox", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@contextmanager
def start(
    source_cls: type[Source], campus: Campus, workdir: Path, **options: Any
) -> Iterator[tuple[dict[str, Any], str | None, Any] | None]:
    """Start `source_cls.sandbox(campus)`: serve its app, or let it write its files under `workdir`.

    Yields (the `[sources.<name>]` table pointing at it, its base URL, its app), or None when the
    plugin has no sandbox.
    """
    server = source_cls.sandbox(campus, **options)
    if server is None:
        yield None
        return
    with ExitStack() as stack:
        base_url = stack.enter_context(serve(server.app)) if server.app is not None else None
        yield server.config(base_url, workdir), base_url, server.app
