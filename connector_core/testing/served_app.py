"""The real web app on a loopback port, for tests: uvicorn in a thread, stopped on exit.

`with served_app(create_app(settings, store)) as base_url:` then any HTTP client talks to base_url.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from connector_core.config import ServeSettings


@contextmanager
def served_app(app: Any, settings: ServeSettings | None = None, *, timeout: float = 20.0) -> Iterator[str]:
    """Serve the ASGI `app` on 127.0.0.1 at a free port; yields its base URL (no trailing slash)."""
    from connector_core.serve.runner import bound_socket, server

    sock = bound_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    uvicorn_server = server(app, settings or ServeSettings(), host="127.0.0.1", port=port)
    thread = threading.Thread(target=uvicorn_server.run, kwargs={"sockets": [sock]}, daemon=True, name="served-app")
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not uvicorn_server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not uvicorn_server.started:
            raise RuntimeError("the app did not start: see the log above for uvicorn's reason")
        yield f"http://127.0.0.1:{port}"
    finally:
        uvicorn_server.should_exit = True
        thread.join(timeout)
        sock.close()
