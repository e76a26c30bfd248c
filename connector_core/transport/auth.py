"""Credentials added at send time, from `SecretStr`s: a repr or a log line never shows them."""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from pydantic import SecretStr
from requests.auth import AuthBase


def _secret(value: SecretStr | str) -> SecretStr:
    return value if isinstance(value, SecretStr) else SecretStr(value)


class BearerAuth(AuthBase):
    """`Authorization: Bearer <token>` (or another scheme)."""

    def __init__(self, token: SecretStr | str, scheme: str = "Bearer") -> None:
        self._token = _secret(token)
        self._scheme = scheme

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"{self._scheme} {self._token.get_secret_value()}"
        return request

    def __repr__(self) -> str:
        return f"BearerAuth({self._scheme} **********)"


class BasicAuth(AuthBase):
    """HTTP Basic with a user name and a secret password."""

    def __init__(self, username: str, password: SecretStr | str) -> None:
        self.username = username
        self._password = _secret(password)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        pair = f"{self.username}:{self._password.get_secret_value()}".encode()
        request.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        return request

    def __repr__(self) -> str:
        return f"BasicAuth({self.username!r}, **********)"


class QueryTokenAuth(AuthBase):
    """A token in the query string: next links the server sends drop it, so it goes on every request."""

    def __init__(self, param: str, token: SecretStr | str) -> None:
        self.param = param
        self._token = _secret(token)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(request.url or "")
        pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != self.param]
        pairs.append((self.param, self._token.get_secret_value()))
        request.url = urlunsplit(parts._replace(query=urlencode(pairs)))
        return request

    def __repr__(self) -> str:
        return f"QueryTokenAuth({self.param!r}, **********)"
