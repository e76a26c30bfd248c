"""The Celery executor: units of work go through a Redis or RabbitMQ broker to `lerconnect worker`s.

Messages are acknowledged late (after the unit ends) and given back when a worker dies, so a
broker may deliver one twice: the units are safe to run twice (partition leases, credential ids
derived from their content, status indexes reserved in the store). The scheduler waits for the
results; a unit whose worker died holding it (its lease expired) is submitted again.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from celery import Celery
from celery.result import AsyncResult

from connector_core.executors import tasks
from connector_core.executors.base import Outcome, Payload, Remote
from connector_core.logs import mask, register_secret
from connector_core.store import redact

if TYPE_CHECKING:
    from connector_core.config import EngineSettings, Settings
    from connector_core.store import Store

log = logging.getLogger("lerconnect.executors")
TASK = "lerconnect.run"


def _is_redis(url: str) -> bool:
    return url.startswith(("redis://", "rediss://"))


def make_app(engine: EngineSettings) -> Celery:
    """The Celery application of a config: its broker, its queue, late acknowledgement, JSON only."""
    broker = engine.broker_url or ""
    register_secret(_password(broker))
    app = Celery("lerconnect", broker=broker, backend=broker if _is_redis(broker) else "rpc://")
    app.conf.update(
        task_acks_late=True,  # a message leaves the queue only once its unit has ended
        task_reject_on_worker_lost=True,  # a worker process killed mid-unit gives its message back
        worker_prefetch_multiplier=1,  # a worker holds one message at a time: the others stay for idle workers
        task_default_queue=engine.queue,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a broker restart mid-run: wait for it to come back
        broker_transport_options={"visibility_timeout": 3600},
        task_publish_retry_policy={"max_retries": 60, "interval_start": 0, "interval_step": 0.5, "interval_max": 2},
        result_backend_always_retry=True,  # a broker (Redis is also the result store) restart is waited out
        result_backend_max_retries=60,
        worker_cancel_long_running_tasks_on_connection_loss=False,  # leases keep a redelivered one harmless
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    app.task(name=TASK, acks_late=True)(tasks.run)
    return app


def _password(url: str) -> str | None:
    return urlsplit(url).password


class CeleryExecutor(Remote):
    """Submits each unit as a Celery task on `[engine].queue` and waits for its result."""

    name = "celery"

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings, self.store = settings, store
        self.app = make_app(settings.engine)
        self.queue = settings.engine.queue

    @property
    def workers(self) -> int:  # type: ignore[override]
        return max(1, sum(w.concurrency for w in workers(self.app)))

    def submit(self, task: str, payload: Payload) -> AsyncResult:
        message = {**payload, "store": redact(self.store.url)}
        return self.app.send_task(TASK, args=(task, message), queue=self.queue)

    def ready(self, handle: AsyncResult) -> bool:
        try:
            return handle.ready()
        except self.app.connection_for_read().connection_errors as exc:  # the broker restarts: ask again later
            log.warning("cannot reach the result store (%s): waiting for it", type(exc).__name__)
            return False

    def outcome(self, handle: AsyncResult, payload: Payload) -> Outcome:
        try:
            return handle.get(timeout=30, propagate=True, disable_sync_subtasks=False)
        except Exception as exc:
            return {**payload, "status": "failed", "error": mask(f"{type(exc).__name__}: {exc}")}
        finally:
            handle.forget()

    def abandon(self, handles: list[AsyncResult]) -> None:
        if handles:
            self.app.control.revoke([h.id for h in handles])  # the ones not started yet never start

    def close(self) -> None:
        self.app.close()


@dataclass(frozen=True)
class Worker:
    name: str
    concurrency: int
    active: int


def workers(app: Celery, timeout: float = 1.0) -> list[Worker]:
    """The workers answering on the broker right now, with their size and how many units they run."""
    inspect = app.control.inspect(timeout=timeout)
    stats = inspect.stats() or {}
    active = inspect.active() or {}
    return [
        Worker(name, int((info.get("pool") or {}).get("max-concurrency") or 1), len(active.get(name) or []))
        for name, info in sorted(stats.items())
    ]


def queue_depth(app: Celery, queue: str) -> int:
    """Messages waiting in the queue (not yet taken by a worker)."""
    with app.connection_for_read() as connection:
        try:
            return connection.default_channel.queue_declare(queue=queue, passive=True).message_count
        except app.connection_for_read().channel_errors:
            return 0  # no such queue yet: nothing was ever enqueued (Redis makes queues on first use)


def start_worker(settings: Settings, db_url: str, *, concurrency: int | None, loglevel: str = "INFO") -> None:
    """Run a Celery worker for this config and store until SIGTERM (finishing the units it runs)."""
    tasks.configure(settings, db_url)
    app = make_app(settings.engine)
    argv = [
        "worker",
        f"--loglevel={loglevel}",
        f"--concurrency={concurrency or os.cpu_count() or 1}",
        f"--queues={settings.engine.queue}",
        f"--hostname=lerconnect-{os.getpid()}@%h",
        "--pool=prefork",
        "--without-gossip",
        "--without-mingle",
    ]
    log.info("worker on %s, queue %s", redact(db_url), settings.engine.queue)
    app.worker_main(argv)
