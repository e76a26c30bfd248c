"""Signing throughput, single process: OB course credentials and 20-record CLRs, fast vs plain pyld.

Run: .venv/bin/python benchmarks/issue.py [--seconds 3]
Both paths produce the same bytes; the script checks that before timing.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime
from decimal import Decimal

from connector_core.issuer import Canonicalizer, SigningKey, canonicalize_reference, sign_many
from connector_core.issuer.credentials import IssuerProfile, clr_credential, open_badge_credential
from connector_core.model import Alignment, Learner, LearningRecord

KEY = SigningKey.from_seed(bytes(range(32)))
ISSUER = IssuerProfile(
    id=KEY.did_key, name="Example University", url="https://example.edu", email="registrar@example.edu"
)
WHEN = datetime(2024, 6, 1, tzinfo=UTC)


class Plain:
    """The reference path: plain pyld, no caches."""

    def canonicalize(self, document: dict) -> str:
        return canonicalize_reference(document)


def course_record(n: int, learner: Learner) -> LearningRecord:
    record = LearningRecord.course(
        source_id=f"enr-{n}",
        learner=learner,
        course_key=f"CS{n % 400}",
        title=f"Course {n % 400}",
        grade="ABCDF"[n % 5],
        term="Fall 2024",
        credits=Decimal("3"),
        code=f"CS {n % 400}",
        completed_on=date(2024, 12, 15),
    )
    ach = record.achievement.model_copy(
        update={
            "description": "An introductory course.",
            "alignments": (
                Alignment(
                    target_name="Programming",
                    target_url="https://case.example.org/uri/1",
                    target_type="CFItem",
                ),
            ),
        }
    )
    return record.model_copy(update={"achievement": ach})


def learner(n: int) -> Learner:
    return Learner(source_id=f"S{n}", given_name="Ada", family_name=f"L{n}", email=f"s{n}@example.edu")


def rate(fn, seconds: float) -> float:
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds or done == 0:
        done += fn()
    return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()

    courses = [open_badge_credential(course_record(n, learner(n)), ISSUER, issued_at=WHEN) for n in range(500)]
    clrs = []
    for s in range(10):
        who = learner(s)
        recs = [course_record(s * 20 + i, who) for i in range(20)]
        signed = sign_many([open_badge_credential(r, ISSUER, issued_at=WHEN) for r in recs], KEY, created=WHEN)
        clrs.append(clr_credential(who, signed, recs, ISSUER, issued_at=WHEN))

    fast, plain = Canonicalizer(), Plain()
    assert sign_many(courses[:20], KEY, created=WHEN, canonicalizer=fast) == sign_many(
        courses[:20], KEY, created=WHEN, canonicalizer=plain
    )
    assert sign_many(clrs[:1], KEY, created=WHEN, canonicalizer=fast) == sign_many(
        clrs[:1], KEY, created=WHEN, canonicalizer=plain
    )

    def ob(canon):
        return lambda: len(sign_many(courses, KEY, created=WHEN, canonicalizer=canon))

    def clr(canon):
        return lambda: len(sign_many(clrs[:2], KEY, created=WHEN, canonicalizer=canon))

    print(f"{'workload':<34}{'fast /s':>10}{'plain /s':>10}{'speed-up':>10}")
    for name, make in (("OB 3.0 course credential", ob), ("CLR 2.0, 20 embedded credentials", clr)):
        f, p = rate(make(fast), args.seconds), rate(make(plain), args.seconds)
        print(f"{name:<34}{f:>10.1f}{p:>10.1f}{f / p:>9.1f}x")
    print(f"fast-path fallbacks to plain pyld: {fast.fallbacks}")


if __name__ == "__main__":
    main()
