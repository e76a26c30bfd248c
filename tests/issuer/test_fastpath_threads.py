"""One canonicalizer shared by many threads, as `serve`'s request threads share the issuer's."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from connector_core.issuer import Canonicalizer


def _credential(n: int) -> dict:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:example:issuer", "type": ["Profile"], "name": "Test University"},
        "validFrom": "2026-05-10T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": f"urn:uuid:10000000-0000-4000-8000-{n:012d}",
                "type": ["Achievement"],
                "name": f"Course {n}",
                "description": "A course.",
                "criteria": {"narrative": "Passed."},
            },
        },
    }


def test_threads_sharing_one_canonicalizer_get_what_each_would_get_alone() -> None:
    documents = [_credential(n) for n in range(64)]
    alone = [Canonicalizer().canonicalize(d) for d in documents]
    shared = Canonicalizer()  # cold: the threads race to fill its context caches
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(shared.canonicalize, documents * 4))
    assert together == alone * 4
