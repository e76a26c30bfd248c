"""One rate budget per source across worker processes, through Redis: two workers, one leaky bucket."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from distributed_kit import require_broker
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

HIGH_WATER = 100.0  # the bucket's size
COST = 10.0  # what one request adds to it
DRAIN = 50.0  # what leaks out per second

WORKER = """
import json, sys, time
from connector_core.transport import RemainingBudgetWatcher, RestClient, RetryPolicy
from connector_core.transport.ratelimit import share_budgets, shared_budget

url, source, redis_url, low_water, refill, count = sys.argv[1:7]
share_budgets(redis_url or None)
watcher = RemainingBudgetWatcher("X-Rate-Limit-Remaining", low_water=float(low_water), refill_per_second=float(refill))
watcher = shared_budget(watcher, source)
client = RestClient(url, rate_limit=watcher, retry=RetryPolicy(max_retries=0))
if sys.argv[7:] == ["on-cue"]:  # started and set up ahead, so the test times the request, not the start-up
    print("ready", flush=True)
    sys.stdin.readline()
throttled = sent = 0
while (sent < int(count)) if int(count) else not watcher.pauses:  # count 0: until this worker decides a pause
    sent += 1
    try:
        client.get("/api/v1/courses")
    except Exception:
        throttled += 1
until = time.time() + watcher.board.remaining()
print(json.dumps({"pauses": watcher.pauses, "waits": watcher.waits, "throttled": throttled, "paused_until": until}))
"""


class Bucket:
    """Canvas's throttle: a leaky bucket per token, `X-Rate-Limit-Remaining` on each answer, 403 when full."""

    def __init__(self) -> None:
        self.level = 0.0
        self.at = time.monotonic()
        self.served = 0
        self.throttled = 0
        self.arrivals: list[float] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        Request(environ)
        with self.lock:
            now = time.monotonic()
            self.arrivals.append(time.time())
            self.level = max(0.0, self.level - (now - self.at) * DRAIN)
            self.at = now
            if self.level + COST > HIGH_WATER:
                self.throttled += 1
                response = Response("403 Forbidden (Rate Limit Exceeded)", status=403)
            else:
                self.level += COST
                self.served += 1
                response = Response("[]", content_type="application/json")
            response.headers["X-Rate-Limit-Remaining"] = f"{HIGH_WATER - self.level:.1f}"
        return response(environ, start_response)


@pytest.fixture
def bucket() -> Iterator[tuple[Bucket, str]]:
    app = Bucket()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def worker(
    url: str, source: str, redis_url: str, *, low_water: float, count: int, refill: float = DRAIN, cue: bool = False
) -> subprocess.Popen:
    args = [url, source, redis_url, str(low_water), str(refill), str(count), *(["on-cue"] if cue else [])]
    stdin = subprocess.PIPE if cue else None
    child = subprocess.Popen([sys.executable, "-c", WORKER, *args], stdin=stdin, stdout=subprocess.PIPE, text=True)
    if cue:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    return child


def report(child: subprocess.Popen) -> dict:
    out, _ = child.communicate(timeout=120)
    assert child.returncode == 0
    return json.loads(out)


@pytest.mark.parametrize("shared", [True, False], ids=["through-redis", "per-process"])
def test_a_pause_one_worker_decides_holds_the_other(bucket: tuple[Bucket, str], shared: bool) -> None:
    redis_url = require_broker("redis")
    app, url = bucket
    source = f"canvas-{uuid.uuid4().hex[:8]}"  # the budget's key: this test's own source
    # a high low-water mark and a slow refill: the first request makes its worker pause for 5 s
    budget = redis_url if shared else ""
    waiting = worker(url, source, budget, low_water=95, count=1, refill=1, cue=True)
    first = report(worker(url, source, budget, low_water=95, count=0, refill=1))
    assert first["pauses"] == 1 and first["paused_until"] > time.time() + 0.5
    seen = len(app.arrivals)
    assert waiting.stdin is not None
    waiting.stdin.write("go\n")
    waiting.stdin.flush()
    second = report(waiting)
    (arrived,) = app.arrivals[seen:]
    if shared:  # it never saw the budget run low itself, yet held its request until the pause ended
        assert second["waits"] == 1 and second["pauses"] <= 1
        assert arrived >= first["paused_until"] - 0.05
    else:  # the control: a budget of its own knows nothing of the first worker's pause
        assert second["waits"] == 0 and arrived < first["paused_until"]
    assert app.throttled == 0


def test_two_workers_stay_under_one_bucket(bucket: tuple[Bucket, str]) -> None:
    redis_url = require_broker("redis")
    app, url = bucket
    source = f"canvas-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    children = [worker(url, source, redis_url, low_water=3 * COST, count=40) for _ in range(2)]
    reports = [report(child) for child in children]
    elapsed = time.monotonic() - started

    assert app.throttled == 0 and sum(r["throttled"] for r in reports) == 0  # never over the one bucket
    assert app.served == 80
    assert all(r["waits"] > 0 for r in reports)  # both held back
    assert app.served * COST <= HIGH_WATER + DRAIN * elapsed  # two workers' spend fits one bucket's drain
