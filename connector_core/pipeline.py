"""One night's work: run the selected sources and streams, then reconcile issuing.

The CLI's `sync`, the scheduler's job and the demo all call `Pipeline.run`: it takes plain values
(source names, flags, a stop event) and returns plain results, and knows nothing of click,
APScheduler or a terminal. Where the partitions and signing batches run is `[engine].executor`'s
choice (this process, a pool of processes, Celery workers); the steps are the same.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from functools import cached_property

from connector_core.config import ConfigError, Settings
from connector_core.engine import RunResult, SyncEngine
from connector_core.executors import Executor, executor_for
from connector_core.issuing import IssueReport, IssuingService, issue_after, service_for
from connector_core.plugins import Registry
from connector_core.source import Page
from connector_core.store import Store
from connector_core.store import runs as run_store


class PipelineProgress:
    """What a night reports as it goes; this one reports nothing (`progress.RunProgress` draws bars).

    `page` after each committed page, `run_done` when a stream's run ends, `phase` as issuing (and
    CLRs) advance, `phase_done` when a phase ends with its one-line summary.
    """

    def page(self, result: RunResult, page: Page) -> None:
        pass

    def run_done(self, result: RunResult) -> None:
        pass

    def phase(self, name: str, advance: int, total: int | None = None) -> None:
        pass

    def phase_done(self, name: str, summary: str) -> None:
        pass


@dataclass
class PipelineResult:
    """The runs, in order, and the issuing report (None: no `[issuer]`, issuing off, or stopped)."""

    runs: list[RunResult] = field(default_factory=list)
    issuing: IssueReport | None = None
    stopped: bool = False

    @property
    def succeeded(self) -> bool:
        """Every run succeeded and issuing, if any, could sign: a night that could not sign is no success."""
        issued = self.issuing is None or self.issuing.status != "failed"
        return issued and all(r.status == "succeeded" for r in self.runs)

    @property
    def run_id(self) -> str | None:
        """The run the issuing is recorded against: the first of the night."""
        return self.runs[0].run_id if self.runs else None


class Pipeline:
    """Sync-then-issue against one store for one config and one set of plugins."""

    def __init__(self, store: Store, registry: Registry, settings: Settings) -> None:
        self.store = store
        self.registry = registry
        self.settings = settings

    @cached_property
    def issuer(self) -> IssuingService | None:
        """The configured issuer with its key loaded (once), or None when the config has no `[issuer]`."""
        return service_for(self.store, self.settings, self.registry.hook)

    def run(
        self,
        sources: Sequence[str] | None = None,
        *,
        stream: str | None = None,
        full: bool = False,
        dry_run: bool = False,
        issue: bool = True,
        stop: threading.Event | None = None,
        progress: PipelineProgress | None = None,
    ) -> PipelineResult:
        """Sync `sources` (default: every configured one; hold-flagging ones last), then reconcile issuing.

        `dry_run` runs the very same steps in a rehearsal of the store (rolled back at the end; the
        run history is kept, marked dry) and signs nothing, so it reports exactly what the real run
        would do. When `stop` is set the running stream ends after its current page, later ones do
        not start, and nothing is issued (the next run's reconciliation catches up). Issuing's
        outcome, failure included, is kept in run history (`issue_after`). `progress` hears of each
        page, run and issuing step.
        """
        names = list(sources) if sources else list(self.settings.sources)
        if not names:
            raise ConfigError("no sources configured: add a [sources.<name>] table (see `lerconnect init`)")
        stop = stop or threading.Event()
        told = progress or PipelineProgress()
        result = PipelineResult()
        # a dry run's rehearsal is one connection of this process: it runs here, whatever the executor
        executor = Executor() if dry_run else executor_for(self.settings, self.store)
        with (
            closing(executor),
            run_store.rehearsal(self.store) if dry_run else nullcontext(self.store) as target,
        ):
            engine = SyncEngine(
                target,
                self.registry,
                self.settings,
                stop=stop,
                on_page=told.page,
                on_run_done=told.run_done,
                dry_run=dry_run,
                executor=executor,
            )
            for name in engine.holds_last(names):
                if stop.is_set():
                    break
                result.runs.extend(engine.sync(name, stream=stream, full=full))
            result.stopped = stop.is_set()
            if issue and not result.stopped:
                report = result.issuing = issue_after(
                    target,
                    self.settings,
                    self.registry.hook,
                    run_ids=[r.run_id for r in result.runs],
                    dry_run=dry_run,
                    progress=progress.phase if progress else None,  # counting the work costs a query
                    executor=executor,
                )
                if report is not None:
                    clrs = f"{report.clrs} CLR{'s' * (report.clrs != 1)}"
                    told.phase_done("issuing", f"{report.issued} issued, {report.revoked} revoked, {clrs}")
        return result
