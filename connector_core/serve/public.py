"""What anyone may fetch: the did:web DID document and the signed status lists.

Both are public by design (keys and revocation bits, no personal data), so they are cacheable by
anyone, readable cross-origin (browser wallets and verifiers fetch them), and answered 304 when the
client's ETag still matches. Status lists are served from `[issuer].status_dir`, where every
issuing run (and the issuer API) writes them, at exactly the path their URL names.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response

from connector_core.issuer import StatusListError
from connector_core.issuer.keys import did_web_url
from connector_core.issuer.status import list_path
from connector_core.serve.problems import Problem, own
from connector_core.serve.services import Services

STATUS_LIST_TYPE = "application/vc+ld+json"
DID_DOCUMENT_TYPE = "application/did+ld+json"
STATUS_CACHE = "public, max-age=300"  # the Bitstring Status List default ttl: five minutes
DID_CACHE = "public, max-age=3600"
PUBLIC_HEADERS = {"Access-Control-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin"}


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(request: Request, tag: str) -> bool:
    wanted = request.headers.get("if-none-match")
    if not wanted:
        return False
    return wanted.strip() == "*" or tag in {t.strip().removeprefix("W/") for t in wanted.split(",")}


def cacheable(request: Request, body: bytes, media_type: str, cache: str) -> Response:
    """`body` with ETag and Cache-Control, or an empty 304 when the client's copy is current."""
    tag = etag(body)
    headers = {"ETag": tag, "Cache-Control": cache, **PUBLIC_HEADERS}
    if _matches(request, tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)  # uvicorn sends no body to a HEAD


def _not_found(what: str) -> Problem:
    return Problem(404, "Not found", what, type=own("not-found"))


def make_router(services: Services) -> APIRouter:
    router = APIRouter(tags=["public"])
    if services.issuing is None:
        return router
    settings = services.issuer_settings

    if settings.did_method == "web":
        did_path = urlsplit(did_web_url(services.ring.did)).path

        @router.api_route(did_path, methods=["GET", "HEAD"], name="did_document")
        def did_document(request: Request) -> Response:
            """The issuer's did:web document; every retired key stays listed, so old credentials verify."""
            body = json.dumps(services.ring.did_document(), indent=2).encode()
            return cacheable(request, body, DID_DOCUMENT_TYPE, DID_CACHE)

    base = settings.status_base_url.rstrip("/")
    prefix = urlsplit(base).path

    @router.api_route(prefix + "/{name:path}", methods=["GET", "HEAD"], name="status_list")
    def status_list(name: str, request: Request) -> Response:
        """The signed BitstringStatusListCredential at `<status_base_url>/<name>`."""
        try:
            path = list_path(services.status_dir, base, f"{base}/{name}")
        except StatusListError:
            raise _not_found(f"no status list is named {name!r} under {base}") from None
        try:
            body = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise _not_found(f"no status list {base}/{name} has been published") from None
        return cacheable(request, body, STATUS_LIST_TYPE, STATUS_CACHE)

    return router
