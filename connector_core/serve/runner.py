"""Run an app with uvicorn: behind a reverse proxy that terminates TLS, trusting only its headers."""

from __future__ import annotations

import socket

import uvicorn
from fastapi import FastAPI

from connector_core.config import ServeSettings


def server(
    app: FastAPI, settings: ServeSettings, *, host: str | None = None, port: int | None = None
) -> uvicorn.Server:
    """A uvicorn server for `app`; our own access log replaces uvicorn's (it would log query strings)."""
    config = uvicorn.Config(
        app,
        host=host or settings.host,
        port=settings.port if port is None else port,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        access_log=False,
        log_config=None,  # lerconnect's logging (text or JSON, secrets masked) applies
        server_header=False,
        timeout_keep_alive=5,
        limit_concurrency=1000,
    )
    return uvicorn.Server(config)


def bound_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0: any free one), so a caller knows the port before serving."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock
