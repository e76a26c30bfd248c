"""Two runs meeting the same new person at the same moment still make one learner."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from connector_core.model import Learner
from connector_core.store import identities
from connector_core.store.tables import LearnerIdentifierRow, LearnerRow


def test_concurrent_resolution_of_one_new_person_makes_one_learner(store) -> None:
    barrier = threading.Barrier(2)
    keys: dict[str, str] = {}
    errors: list[BaseException] = []

    def run(source: str) -> None:
        try:
            with store.session() as session:
                session.scalar(select(LearnerRow.key).limit(1))
                if not store.is_sqlite:  # SQLite's BEGIN IMMEDIATE makes the second run wait here instead
                    barrier.wait(timeout=10)  # both transactions are under way, neither sees the other
                person = Learner(source_id=f"{source}-7", institution_id="A0000007")
                keys[source] = identities.resolve(session, source, person).learner_key
                time.sleep(0.3)  # hold the insert uncommitted while the other run tries the same
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in ("canvas", "banner")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    with store.session() as session:
        learners = session.scalars(select(LearnerRow).where(LearnerRow.institution_id == "A0000007")).all()
        links = session.scalars(select(LearnerIdentifierRow)).all()
    assert len(learners) == 1
    assert keys["canvas"] == keys["banner"] == learners[0].key
    assert {(i.source, i.learner_key) for i in links} == {("canvas", learners[0].key), ("banner", learners[0].key)}
