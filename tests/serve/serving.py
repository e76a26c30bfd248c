"""What the serve tests share: a campus with issued credentials, served over loopback HTTP.

`Served` is the campus, the app's services and an HTTP session on the app's base URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from test_issuing import Campus

from connector_core.serve.services import Services

DOMAIN = "registrar.test.example.edu"


@dataclass
class Served:
    """A campus whose credentials are issued, and the app serving its store at `base`."""

    campus: Campus
    services: Services
    base: str
    http: requests.Session

    def url(self, path: str) -> str:
        return self.base + path

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self.url(path), timeout=30, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.post(self.url(path), timeout=60, **kwargs)


def web_campus(tmp_path: Path, store, monkeypatch, **serve: Any) -> Campus:
    """The issuing test campus as did:web, with its credentials issued and status lists published."""
    campus = Campus(tmp_path, store, monkeypatch)
    issuer = campus.settings.issuer.model_copy(update={"did_method": "web", "domain": DOMAIN})
    options = campus.settings.serve.model_copy(update=serve)
    campus.settings = campus.settings.model_copy(update={"issuer": issuer, "serve": options})
    campus.sync()
    return campus
