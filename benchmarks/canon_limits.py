"""How long a hostile blank-node clique holds canonicalization, with the work limit and without it.

    .venv/bin/python benchmarks/canon_limits.py [--k 8] [--unbounded]

`--unbounded` also runs the clique with no limit (k=8: tens of seconds; k=9: minutes).
"""

from __future__ import annotations

import argparse
import json
import time

from connector_core.issuer import CanonicalizationLimitError, CanonLimits, canonicalize_reference
from connector_core.issuer.fastpath import Canonicalizer

TERMS = {"clique": "https://example.org/clique", "link": {"@id": "https://example.org/link", "@type": "@id"}}


def clique(k: int) -> dict:
    nodes = [{"id": f"_:n{i}", "link": [f"_:n{j}" for j in range(k) if j != i]} for i in range(k)]
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", TERMS],
        "id": "urn:uuid:0b6d3c84-5f53-4a55-9d0f-8e4b9c1f2a10",
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner", "clique": nodes},
    }


def timed(label: str, canonicalize, document: dict) -> None:
    started = time.perf_counter()
    try:
        canonicalize(document)
        outcome = "canonicalized"
    except CanonicalizationLimitError:
        outcome = "refused"
    print(f"{label:<28} {outcome:<14} {time.perf_counter() - started:8.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--unbounded", action="store_true")
    args = parser.parse_args()
    document = clique(args.k)
    print(f"clique k={args.k}: {len(json.dumps(document))} bytes of JSON")
    timed("fast path, default limits", Canonicalizer().canonicalize, document)
    timed("plain path, default limits", canonicalize_reference, document)
    if args.unbounded:
        unlimited = CanonLimits(max_work_factor=float("inf"), max_permutations=10**12)
        timed("fast path, no limit", Canonicalizer(limits=unlimited).canonicalize, document)


if __name__ == "__main__":
    main()
