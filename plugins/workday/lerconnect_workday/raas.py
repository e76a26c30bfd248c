"""Reports-as-a-Service: a stream read from a campus's custom report over REST instead of WWS.

`GET /ccx/service/customreport2/<tenant>/<owner>/<report>?format=json` with HTTP Basic as the ISU
answers `{"Report_Entry": [row, …]}`, every row in one response: RaaS has no paging, so a run is
bounded by the report's prompts: once per academic period (`period_prompt`), and, on later runs,
a "changed since" date (`since_prompt`) from the previous run's server date less `overlap_minutes`.
The first row is checked for the columns the stream needs (the aliases are the report author's);
each row is mapped to the stream's fields here and interpreted at normalization (`columns`).
A cursor is `{"mode": "raas", "part", "row", "done", "through", "since"}`: an unfinished run runs
the report (period) it stopped in once more, with the same prompts, and goes on after the rows stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from connector_core import Cursor, Page, SourceAuthError, SourceError, SourcePermissionError
from connector_core.transport import BasicAuth, RestClient, RetryPolicy
from lerconnect_workday import columns
from lerconnect_workday.config import Config, RaasReport


class Raas:
    """The tenant's custom reports for one source (one REST client, made by the source)."""

    def __init__(self, config: Config, source_name: str, *, retry: RetryPolicy, user_agent: str) -> None:
        self.config = config
        self.source_name = source_name
        self.rest = RestClient(
            config.base_url,
            auth=BasicAuth(config.username, config.password),
            timeout=config.timeout_seconds,
            verify=config.verify_tls,
            user_agent=user_agent,
            retry=retry,
            classify_error=self.classify_error,
        )

    def path(self, report: RaasReport) -> str:
        return f"/ccx/service/customreport2/{self.config.tenant}/{report.report}"

    def classify_error(self, response: requests.Response, endpoint: str) -> SourceError | None:
        """Workday's answers to a report request, with their fix."""
        status = response.status_code
        if status == 401:
            return SourceAuthError(
                f"{endpoint}: HTTP 401: Workday refused {self.config.username} (HTTP Basic): check `username` "
                "(the ISU, with or without @tenant) and `password` (ISU passwords expire; a locked account "
                "answers the same)"
            )
        if status == 403:
            return SourcePermissionError(
                f"{endpoint}: HTTP 403: the report is not shared with {self.config.username}: share it with the "
                "ISU's security group and grant the domains of its fields"
            )
        if status == 404:
            return SourceError(
                f"{endpoint}: HTTP 404: no such report: check `raas.<stream>.report` (<owner>/<Report_Name>) and "
                "that the report is an Advanced report enabled as a web service"
            )
        return None

    def run(self, stream: str, report: RaasReport, params: dict[str, Any]) -> tuple[list[dict[str, Any]], datetime]:
        """The report's rows for these prompts, and the server's moment of the answer."""
        page = self.rest.get(self.path(report), {"format": "json", **report.prompts, **params}, expect=dict)
        rows = page.body.get("Report_Entry", [])
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise SourceError(
                f"report {report.report} ({stream}) answered Report_Entry that is not a list of rows: "
                f"check that `raas.{stream}.report` names a report and that it is read with ?format=json"
            )
        return rows, _server_moment(page.headers.get("Date"))

    def check_columns(self, stream: str, report: RaasReport, row: dict[str, Any]) -> None:
        """The row has a column for every field the stream needs, else an error naming it and the config key."""
        layout = columns.LAYOUTS[stream]
        aliases = layout.aliases(report.columns)
        for name in layout.required:
            if aliases[name] not in row:
                present = ", ".join(sorted(row)[:30])
                raise SourceError(
                    f"report {report.report} ({stream}) has no column {aliases[name]!r} for {name}: set "
                    f'[sources.{self.source_name}.raas.{stream}.columns] {name} = "<the report\'s alias>" '
                    f"(the first row has: {present})"
                )

    def check(self, stream: str, report: RaasReport) -> None:
        """The report exists and the ISU may run it: its XSD (`?xsds`), which costs no run."""
        self.rest.request("GET", self.path(report), params={"xsds": ""})


class RaasSweep:
    """One stream's run over its report: one report run per period (or one), rows in pages."""

    def __init__(self, raas: Raas, config: Config, stream: str) -> None:
        self.raas = raas
        self.config = config
        self.stream = stream
        self.report = config.raas[stream]
        self.layout = columns.LAYOUTS[stream]
        self.aliases = self.layout.aliases(self.report.columns)

    def parts(self) -> list[str | None]:
        if self.report.period_prompt and self.config.academic_periods:
            return list(self.config.academic_periods)
        return [None]

    def run(self, cursor: Cursor) -> Iterator[Page]:
        previous = cursor if isinstance(cursor, dict) and cursor.get("mode") == "raas" else None
        if previous is not None and not previous.get("done"):
            state = previous
        else:
            state = {"mode": "raas", "part": 0, "done": False, "through": None, "since": self._since(previous)}
        parts = self.parts()
        checked = False
        size = self.config.page_size
        where = self.report.report.split("/")[-1]
        for index in range(state["part"], len(parts)):
            period = parts[index]
            rows, moment = self.raas.run(self.stream, self.report, self._prompts(period, state["since"]))
            skip = state.get("row", 0) if index == state["part"] else 0
            state = {**state, "part": index, "row": 0, "through": state["through"] or moment.isoformat()}
            if rows and not checked:
                self.raas.check_columns(self.stream, self.report, rows[0])
                checked = True
            starts = range(skip, len(rows), size) if skip < len(rows) else [len(rows)]
            for start in starts:
                end = min(start + size, len(rows))
                records = [
                    {
                        **columns.map_row(self.layout, rows[i], self.aliases, f"{where}{_at(period)} row {i + 1}"),
                        "as_of": moment.date().isoformat(),  # the day the report describes, as in WWS answers
                    }
                    for i in range(start, end)
                ]
                finished = end >= len(rows)
                resume = {**state, "part": index + 1 if finished else index, "row": 0 if finished else end}
                done = finished and index == len(parts) - 1
                yield Page(records=records, cursor={**resume, "done": done}, covers=(period,) if period else ())

    def _since(self, previous: dict[str, Any] | None) -> str | None:
        """The date for the "changed since" prompt: the previous run's server date less the overlap."""
        if not self.report.since_prompt or previous is None or not previous.get("through"):
            return None
        mark = datetime.fromisoformat(previous["through"]) - timedelta(minutes=self.config.overlap_minutes)
        return mark.date().isoformat()

    def _prompts(self, period: str | None, since: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if period is not None and self.report.period_prompt:
            params[self.report.period_prompt] = period
        if since is not None and self.report.since_prompt:
            params[self.report.since_prompt] = since
        return params


def _at(period: str | None) -> str:
    return f" ({period})" if period else ""


def _server_moment(header: str | None) -> datetime:
    """The answer's `Date` (the tenant's clock), else this machine's."""
    if header:
        try:
            return parsedate_to_datetime(header).astimezone(UTC)
        except (TypeError, ValueError):
            pass
    return datetime.now(UTC)
