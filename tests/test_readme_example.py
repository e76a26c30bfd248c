"""The README's "write a plugin" example is real: it is quoted verbatim and runs end to end."""

from __future__ import annotations

import importlib.util
import inspect
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from werkzeug.wrappers import Request, Response

from connector_core.config import settings_from_dict
from connector_core.engine import SyncEngine
from connector_core.plugins import load_registry
from connector_core.sandbox import serve
from connector_core.testing import SyncBench

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "engage_plugin.py"
ROWS = [
    {
        "id": f"att-{i}",
        "student_id": f"A{i % 7:04d}",
        "event_id": f"ev-{i % 3}",
        "event_name": f"Career Fair {i % 3}",
        "date": "2026-10-0" + str(1 + i % 9),
        "updated": i,
    }
    for i in range(1, 26)
]


def _load_example():
    spec = importlib.util.spec_from_file_location("engage_plugin", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@Request.application
def engage_api(request: Request) -> Response:
    """The engagement platform: bearer token, keyset paging by `updated`, Link headers."""
    if request.headers.get("Authorization") != "Bearer engage-token":
        return Response("unauthorized", 401)
    if request.path == "/me":
        return Response(json.dumps({"name": "lerconnect"}), mimetype="application/json")
    since = int(request.args.get("since", 0))
    after = int(request.args.get("after", since))
    page = [r for r in ROWS if r["updated"] > after][:10]
    response = Response(json.dumps(page), mimetype="application/json")
    if page and page[-1]["updated"] < ROWS[-1]["updated"]:
        response.headers["Link"] = f'<{request.host_url}attendance?after={page[-1]["updated"]}>; rel="next"'
    return response


def test_readme_quotes_the_example_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert EXAMPLE.read_text(encoding="utf-8").strip() in readme


def test_example_plugin_syncs_end_to_end(store) -> None:
    registry = load_registry(extra_modules=(_load_example(),))
    with serve(engage_api) as base_url:
        settings = settings_from_dict(
            {"sources": {"engage": {"plugin": "engage", "base_url": base_url, "token": "engage-token"}}}
        )
        engine = SyncEngine(store, registry, settings)
        assert "signed in as lerconnect" in engine.make_source("engage").check()
        (first,) = engine.sync("engage")
        (second,) = engine.sync("engage")
    assert first.status == "succeeded" and first.count("new") == len(ROWS) and first.count("pages") == 3
    assert second.status == "succeeded" and second.count("fetched") == 0  # the cursor moved past everything


Engage = _load_example().Engage


@pytest.fixture
def engage_test_server() -> Iterator[SimpleNamespace]:
    with serve(engage_api) as url:
        yield SimpleNamespace(url=url)


def test_engage_syncs_and_a_rerun_changes_nothing(lerconnect_sync: SyncBench, engage_test_server) -> None:
    engine = lerconnect_sync.engine(Engage, {"base_url": engage_test_server.url, "token": "engage-token"})
    first, again = engine.sync("engage", full=True)[0], engine.sync("engage", full=True)[0]
    assert first.status == "succeeded" and first.count("new") == len(lerconnect_sync.records(source="engage"))
    assert again.count("new") == again.count("changed") == again.count("withdrawn") == 0
    assert lerconnect_sync.dead_letters(source="engage") == []


def test_readme_quotes_the_engine_test_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert inspect.getsource(test_engage_syncs_and_a_rerun_changes_nothing).strip() in readme
