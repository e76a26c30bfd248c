"""The plugin test kit on the Workday source and its sandbox."""

from __future__ import annotations

from lerconnect_workday import WorkdaySource
from workday_testkit import workday, wsdl_cache  # noqa: F401 - autouse fixture

from connector_core.sandbox import build_campus
from connector_core.testing import check_source_contract


def test_workday_source_keeps_the_plugin_contract() -> None:
    check_source_contract(WorkdaySource, None, campus=build_campus(20))


def test_workday_over_custom_reports_keeps_the_plugin_contract() -> None:
    with workday(20) as running:
        check_source_contract(WorkdaySource, {**running.table, "raas": running.app.reports.table()})
