"""`lerconnect demo --serve`: after the demo night, serve its store and print a sandbox learner's claim link."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from connector_core.config import DeliverySettings, Settings, load_settings
from connector_core.delivery.outbox import fresh_link
from connector_core.store import Store
from connector_core.store import credentials as cred_store


def demo_serving(store: Store, config_path: Path, port: int) -> tuple[Settings, str]:
    """The demo's settings served on 127.0.0.1:`port`, and a claim URL of the learner with most credentials."""
    settings = load_settings(config_path)
    local = {"host": "127.0.0.1", "port": port, "public_base_url": f"http://127.0.0.1:{port}"}
    serve = settings.serve.model_copy(update=local)
    settings = settings.model_copy(
        update={"serve": serve, "delivery": settings.delivery or DeliverySettings(sink="none")}
    )
    counts = Counter(row.learner_key for row in cred_store.list_credentials(store, status="active"))
    if not counts:
        raise LookupError("the demo issued nothing: run it without --no-issue to have records to claim")
    learner, _ = counts.most_common(1)[0]  # the learner with the most to show
    return settings, fresh_link(store, settings, learner, sink="demo")
