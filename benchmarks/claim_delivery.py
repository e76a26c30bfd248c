"""Time from "issued" to "claim link sent" for one night: N learners, K credentials each.

What is timed is exactly what runs after the last credential of a pass is stored: the built-in
sink's `lerconnect_after_issue` calls (one per credential), then `lerconnect_after_issuing` (queue
them, make one hashed claim link per learner, render and send one message each) - by email to a
loopback SMTP server (aiosmtpd; STARTTLS with a self-signed CA, login) and as CSV. The credentials
are stored rows with small documents: signing is benchmarks/issue.py's business, not this one's.

Run: .venv/bin/python benchmarks/claim_delivery.py [--learners 2000] [--per-learner 3] [--db URL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from connector_core.config import DeliverySettings, SmtpSettings, settings_from_dict
from connector_core.delivery import plugin
from connector_core.hook_contexts import DeliveryContext, IssuingContext, LearnerRef
from connector_core.store import Store
from connector_core.store.tables import CredentialRow, LearnerRow, StatusListRow
from connector_core.testing.smtp import loopback_smtp


def fill(store: Store, learners: int, per_learner: int) -> list[tuple[dict, DeliveryContext]]:
    """Learners with emails and stored credentials; returns what the issuer would hand the sink."""
    delivered = []
    with store.session() as session:
        status = StatusListRow(url="https://bench.example.edu/status/1", size=131072, seed="00" * 16, bits=bytes(16384))
        session.add(status)
        session.flush()
        keys = [f"learner-{n:05d}" for n in range(learners)]
        session.add_all(
            LearnerRow(key=key, email=f"student{n}@bench.example.edu", given_name=f"Student{n}")
            for n, key in enumerate(keys)
        )
        session.flush()  # no relationships declared: learners go in before their credentials
        for n, key in enumerate(keys):
            for k in range(per_learner):
                kind = "clr" if k == per_learner - 1 else "achievement"
                document = {"id": f"urn:uuid:bench-{n}-{k}", "name": f"Course {k}" if kind == "achievement" else "CLR"}
                index = n * per_learner + k
                session.add(
                    CredentialRow(
                        id=document["id"],
                        kind=kind,
                        learner_key=key,
                        status_list_id=status.id,
                        status_index=index,
                        document=document,
                    )
                )
                delivered.append((document, DeliveryContext(kind=kind, learner=LearnerRef(key), run_id="bench")))
    return delivered


def night(store: Store, settings, delivered) -> float:
    started = time.perf_counter()
    for document, context in delivered:
        plugin.lerconnect_after_issue(credential=document, context=context)
    plugin.lerconnect_after_issuing(context=IssuingContext("bench", settings, store))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--per-learner", type=int, default=3)
    parser.add_argument("--db", help="store URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with loopback_smtp(folder, login=("u", "p")) as inbox:
            for sink in ("email", "csv"):
                store = Store(args.db or str(folder / f"{sink}.db"), auto_upgrade=True)
                delivered = fill(store, args.learners, args.per_learner)
                smtp = SmtpSettings(
                    host="127.0.0.1",
                    port=inbox.port,
                    username="u",
                    password="p",
                    ca_file=inbox.ca_file,
                    sender="r@bench.example.edu",
                )
                settings = settings_from_dict({}).model_copy(
                    update={"delivery": DeliverySettings(sink=sink, smtp=smtp, csv_dir=folder / "claims")}
                )
                seconds = night(store, settings, delivered)
                sent = len(inbox.messages) if sink == "email" else len(list((folder / "claims").glob("*.csv")))
                print(
                    f"{sink:5s}: {args.learners} learners, {len(delivered)} credentials -> "
                    f"{'messages' if sink == 'email' else 'CSV files'} {sent}: {seconds:.2f} s "
                    f"({seconds / args.learners * 1000:.2f} ms per learner)"
                )
                store.dispose()


if __name__ == "__main__":
    main()
