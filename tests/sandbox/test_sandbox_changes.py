"""The Ethos-style change-notification queue, over real loopback HTTP: destructive reads, redelivery."""

from __future__ import annotations

import json

import requests
from werkzeug.wrappers import Request

from connector_core.sandbox.changes import ChangeQueue
from connector_core.sandbox.serve import serve
from connector_core.testing import shared_path

GRADES = "application/vnd.hedtech.integration.v1+json"


def queue_with(count: int) -> ChangeQueue:
    queue = ChangeQueue()
    for n in range(1, count + 1):
        queue.publish("student-transcript-grades", f"guid-{n}", "updated", {"id": f"guid-{n}"}, version=GRADES)
    return queue


def serving(queue: ChangeQueue):
    def app(environ, start_response):
        return queue.respond(Request(environ))(environ, start_response)

    return serve(app)


def consume(base: str, **params) -> requests.Response:
    return requests.get(f"{base}/consume", params=params, timeout=5)


def test_consume_is_destructive_and_reports_what_remains():
    with serving(queue_with(5)) as base:
        first = consume(base, limit=2)
        assert [m["id"] for m in first.json()] == ["1", "2"] and first.headers["x-remaining"] == "3"
        second = consume(base, limit=2)  # no lastProcessedID: what was returned is gone
        assert [m["id"] for m in second.json()] == ["3", "4"] and second.headers["x-remaining"] == "1"
        assert requests.head(f"{base}/consume", timeout=5).headers["x-remaining"] == "1"
        assert [m["id"] for m in consume(base, limit=10).json()] == ["5"]
        empty = consume(base, limit=10)
        assert empty.json() == [] and empty.headers["x-remaining"] == "0"


def test_last_processed_id_redelivers_what_follows_it_but_never_further_back():
    with serving(queue_with(6)) as base:
        consume(base, limit=3)  # 1..3 delivered; the consumer crashed after storing only 1
        again = consume(base, limit=10, lastProcessedID=1)
        assert [m["id"] for m in again.json()] == ["2", "3", "4", "5", "6"]
        older = consume(base, limit=10, lastProcessedID=0)  # 1 was acknowledged: gone for good
        assert [m["id"] for m in older.json()] == ["2", "3", "4", "5", "6"]
        done = consume(base, limit=10, lastProcessedID=6)
        assert done.json() == [] and done.headers["x-remaining"] == "0"


def test_messages_have_the_ethos_shape_and_deletes_carry_no_content():
    queue = queue_with(1)
    queue.publish("section-registrations", "guid-x", "deleted")
    with serving(queue) as base:
        updated, deleted = consume(base, limit=5).json()
    assert updated["contentType"] == "resource-representation" and updated["resource"]["version"] == GRADES
    assert updated["published"].endswith("+00") and " " in updated["published"]
    assert deleted["contentType"] == "empty" and "content" not in deleted and "version" not in deleted["resource"]


def test_messages_carry_the_keys_of_a_captured_ethos_notification():
    real = json.loads(shared_path("sources/banner/ethos-consume-change-notification.example.json").read_text())[0]
    with serving(queue_with(1)) as base:
        (ours,) = consume(base).json()
    assert set(ours) == set(real) and set(ours["resource"]) == set(real["resource"])
    assert set(ours["publisher"]) <= set(real["publisher"])


def test_batches_stop_near_the_byte_cap_and_a_bad_position_is_a_400():
    queue = ChangeQueue(max_bytes=1500)
    for n in range(10):
        queue.publish("persons", f"p{n}", "updated", {"id": f"p{n}", "names": ["x" * 300]}, version=GRADES)
    with serving(queue) as base:
        batch = consume(base, limit=10)
        assert 1 <= len(batch.json()) < 10 and len(batch.content) <= 1500
        assert int(batch.headers["x-remaining"]) == 10 - len(batch.json())
        assert consume(base, lastProcessedID="abc").status_code == 400
