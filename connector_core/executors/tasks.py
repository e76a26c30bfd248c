"""The units of work, as every executor runs them: one body, whether here, in a pool or on Celery.

A process that runs them (a pool's process, a `lerconnect worker`) is given its config and store
once (`configure`); a unit's payload carries only plain values naming the work, never a secret.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from connector_core.store import redact

if TYPE_CHECKING:
    from connector_core.config import Settings
    from connector_core.engine import SyncEngine
    from connector_core.issuing import IssuingService
    from connector_core.plugins import Registry
    from connector_core.store import Store


class WrongStore(Exception):
    """A unit of work meant for another store reached this worker: its config points elsewhere."""


@dataclass
class Home:
    """What a working process knows: the settings, the plugins and the store, opened once."""

    settings: Settings
    db_url: str
    stop: Any = field(default_factory=threading.Event)  # threading or multiprocessing Event

    @cached_property
    def registry(self) -> Registry:
        from connector_core.plugins import default_registry

        return default_registry()

    @cached_property
    def store(self) -> Store:
        from connector_core.store import Store

        return Store(self.db_url)

    @cached_property
    def issuer(self) -> IssuingService:
        from connector_core.issuing import service_for

        service = service_for(self.store, self.settings, self.registry.hook)
        if service is None:
            raise WrongStore("this worker's config has no [issuer]: it cannot sign; give it the scheduler's config")
        return service

    def engine(self) -> SyncEngine:
        from connector_core.engine import SyncEngine

        ttl = timedelta(seconds=self.settings.engine.partition_lease_seconds)
        return SyncEngine(self.store, self.registry, self.settings, lease_ttl=ttl, stop=self.stop)

    def check(self, payload: dict[str, Any]) -> None:
        """Refuse work for another store: two lerconnect installations may share one broker."""
        wanted = payload.get("store")
        if wanted is not None and wanted != redact(self.store.url):
            raise WrongStore(
                f"a task for the store {wanted} reached a worker on {redact(self.store.url)}: give each "
                f"installation its own [engine].queue, or start the worker with the scheduler's config"
            )


_home: Home | None = None


def configure(settings: Settings, db_url: str, stop: Any = None) -> Home:
    """Make this process a worker for `settings` on `db_url` (a pool's initializer, `lerconnect worker`)."""
    global _home
    _home = Home(settings, db_url, stop if stop is not None else threading.Event())
    from connector_core.transport.ratelimit import share_budgets

    share_budgets(settings.engine.budget_url())
    return _home


def home() -> Home:
    if _home is None:
        raise RuntimeError("this process was not configured to run lerconnect work: call tasks.configure first")
    return _home


def sync_partition(payload: dict[str, Any]) -> dict[str, Any]:
    """Sync one partition of a stream (see `SyncEngine.sync_partition`)."""
    from connector_core.engine import PartitionJob

    here = home()
    here.check(payload)
    engine = here.engine()
    job = PartitionJob(**{k: payload[k] for k in PartitionJob.__dataclass_fields__})
    source = engine.make_source(job.source)
    try:
        return engine.sync_partition(source, job).as_dict()
    finally:
        source.close()


def issue_batch(payload: dict[str, Any]) -> dict[str, Any]:
    """Sign and store the credentials of a batch of records (see `IssuingService.issue_records`)."""
    here = home()
    here.check(payload)
    return here.issuer.issue_records(payload).as_batch()


def refresh_clrs(payload: dict[str, Any]) -> dict[str, Any]:
    """Bring a batch of learners' CLRs up to date (see `IssuingService.refresh_learners`)."""
    here = home()
    here.check(payload)
    return here.issuer.refresh_learners(payload).as_batch()


TASKS = {"sync_partition": sync_partition, "issue_batch": issue_batch, "refresh_clrs": refresh_clrs}


def run(task: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Run a unit of work by name: what a pool's process and a Celery task call."""
    return TASKS[task](payload)
