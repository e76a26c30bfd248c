"""Token and Basic checks of the sandbox toolkit, over real loopback HTTP."""

from __future__ import annotations

import json

import requests
from werkzeug.wrappers import Request, Response

from connector_core.sandbox.auth import basic_ok, bearer_token, grant_for, unauthorized
from connector_core.sandbox.serve import serve

GRANTS = {"good-token": "reader"}
USERS = {"ISU_LER@tenant": "s3cret"}


def app(environ, start_response):
    request = Request(environ)
    if request.path == "/bearer":
        grant = grant_for(bearer_token(request, query_param="access_token"), GRANTS)
        if grant is None:
            return unauthorized({"errors": [{"message": "Invalid access token."}]}, realm="canvas-lms")(
                environ, start_response
            )
        return Response(json.dumps({"grant": grant}), content_type="application/json")(environ, start_response)
    user = basic_ok(request, USERS)
    if user is None:
        return unauthorized({"message": "bad credentials"}, scheme="Basic")(environ, start_response)
    return Response(json.dumps({"user": user}), content_type="application/json")(environ, start_response)


def test_bearer_token_in_header_or_query_and_401_with_www_authenticate():
    with serve(app) as base:
        ok = requests.get(f"{base}/bearer", headers={"Authorization": "Bearer good-token"}, timeout=5)
        assert ok.status_code == 200 and ok.json() == {"grant": "reader"}
        assert requests.get(f"{base}/bearer", params={"access_token": "good-token"}, timeout=5).json()["grant"]
        for headers in ({"Authorization": "Bearer wrong"}, {"Authorization": "Basic Z29vZC10b2tlbg=="}, {}):
            refused = requests.get(f"{base}/bearer", headers=headers, timeout=5)
            assert refused.status_code == 401
            assert refused.headers["WWW-Authenticate"] == 'Bearer realm="canvas-lms"'


def test_basic_credentials_checked_and_refused_with_a_basic_challenge():
    with serve(app) as base:
        ok = requests.get(f"{base}/basic", auth=("ISU_LER@tenant", "s3cret"), timeout=5)
        assert ok.json() == {"user": "ISU_LER@tenant"}
        for auth in (("ISU_LER@tenant", "wrong"), ("someone", "s3cret"), None):
            refused = requests.get(f"{base}/basic", auth=auth, timeout=5)
            assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Basic ")
