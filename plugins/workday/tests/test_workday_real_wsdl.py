"""Workday's own Human_Resources v31.2 WSDL (2.8 MB, relative address) drives `employment` against the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from workday_testkit import workday, wsdl_cache  # noqa: F401 - autouse fixture

from connector_core.testing import SyncBench, shared_path

REAL = "sources/workday/wsdl/v31.2/Human_Resources.wsdl"


@pytest.fixture
def real_wsdl() -> Path:
    return shared_path(*REAL.split("/"))  # skips, saying why, when ../shared is absent


def test_employment_syncs_through_the_real_v31_2_wsdl(real_wsdl: Path, lerconnect_sync: SyncBench) -> None:
    with workday(version="v31.2", wsdl={"Human_Resources": str(real_wsdl)}, page_size=7) as running:
        source = running.source()
        assert "v31.2" in source.check()
        wsdl_loaded = source.wws.client("Human_Resources").client.wsdl
        result = running.engine(lerconnect_sync).sync("workday", stream="employment")[0]
        calls = dict(running.app.calls)

    assert len(wsdl_loaded.bindings) == 1 and "Human_ResourcesBinding" in next(iter(wsdl_loaded.bindings))
    assert result.status == "succeeded" and result.count("new") == len(running.campus.jobs)
    # one history per worker (the older-style Integration_ID request zeep builds from the real WSDL),
    # one Get_Workers as of the last day of each position a worker left for another
    moved = [
        j
        for j in running.campus.jobs
        if j.end and any(o.start > j.end for o in running.campus.jobs if o.person_key == j.person_key)
    ]
    assert moved and calls["Worker_Event_History_Get"] == result.count("fetched")
    assert result.count("pages") > 1 and calls["Get_Workers_Request"] == result.count("pages") + len(moved)
