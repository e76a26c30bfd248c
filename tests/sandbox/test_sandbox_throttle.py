"""The leaky-bucket throttle, over real loopback HTTP: remaining budget reported, then refusals."""

from __future__ import annotations

import time

import requests
from werkzeug.wrappers import Request, Response

from connector_core.sandbox.serve import serve
from connector_core.sandbox.throttle import BucketTuning, Throttle, plain_refusal


def throttled_app(throttle: Throttle):
    def app(environ, start_response):
        request = Request(environ)
        key = request.headers.get("Authorization", "anonymous")
        return throttle(key, lambda: Response("ok"))(environ, start_response)

    return app


def test_remaining_budget_falls_then_plain_403_without_retry_after():
    tuning = BucketTuning(high_water=95, outflow=0.001, up_front=10, min_cost=30)
    throttle = Throttle(tuning, refuse=plain_refusal("403 Forbidden (Rate Limit Exceeded)\n"))
    with serve(throttled_app(throttle)) as base:
        seen = [requests.get(base, headers={"Authorization": "a"}, timeout=5) for _ in range(5)]
        ok = [r for r in seen if r.status_code == 200]
        remaining = [float(r.headers["X-Rate-Limit-Remaining"]) for r in ok]
        assert remaining == sorted(remaining, reverse=True) and len(ok) == 3  # 30 each: 65, 35, 5 left
        assert all(float(r.headers["X-Request-Cost"]) == 30 for r in ok)
        refused = seen[-1]
        assert refused.status_code == 403 and "Rate Limit Exceeded" in refused.text
        assert "Retry-After" not in refused.headers and refused.headers["X-Rate-Limit-Remaining"] == "0.0"
        assert requests.get(base, headers={"Authorization": "b"}, timeout=5).status_code == 200  # per caller
        assert throttle.throttled == 2


def test_429_with_retry_after_that_is_honest():
    tuning = BucketTuning(high_water=20, outflow=20, up_front=15, min_cost=15, throttle_status=429, retry_after=True)
    throttle = Throttle(tuning, remaining_header=None, cost_header=None)
    with serve(throttled_app(throttle)) as base:
        assert requests.get(base, timeout=5).status_code == 200
        refused = requests.get(base, timeout=5)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
        assert "X-Rate-Limit-Remaining" not in refused.headers
        time.sleep(int(refused.headers["Retry-After"]))
        assert requests.get(base, timeout=5).status_code == 200  # waiting Retry-After is enough
