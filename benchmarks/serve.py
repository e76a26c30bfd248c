"""Requests per second of `lerconnect serve` on this machine, over loopback HTTP with uvicorn (one process):
`POST /credentials/verify` (an Open Badge, and a CLR-sized one) and status-list GETs (full and 304).

Credentials are issued through the issuer API first (`POST /credentials/issue`, also timed). The load
comes from client threads in this same process, so client and server share the machine's cores.
    .venv/bin/python benchmarks/serve.py [--seconds 10] [--clients 4]
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import requests

from connector_core.config import settings_from_dict
from connector_core.issuer import SigningKey
from connector_core.serve.app import create_app
from connector_core.serve.clients import register
from connector_core.store import Store
from connector_core.testing.served_app import served_app

BADGE = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "Lab Safety Workshop",
    "validFrom": "2026-01-15T00:00:00Z",
    "credentialSubject": {
        "type": ["AchievementSubject"],
        "achievement": {
            "id": "https://bench.example.edu/achievements/lab-safety",
            "type": ["Achievement"],
            "name": "Lab Safety Workshop",
            "description": "Completed the two-hour lab safety workshop.",
            "criteria": {"narrative": "Attend the workshop and pass its quiz."},
        },
    },
}


def rate(seconds: float, clients: int, call: Callable[[requests.Session], int]) -> tuple[float, int, dict[int, int]]:
    """(requests per second, requests, status code counts) of `clients` threads calling for `seconds`."""
    stop = time.monotonic() + seconds
    counts: dict[int, int] = {}
    lock = threading.Lock()

    def worker() -> None:
        with requests.Session() as http:
            local: dict[int, int] = {}
            while time.monotonic() < stop:
                code = call(http)
                local[code] = local.get(code, 0) + 1
        with lock:
            for code, n in local.items():
                counts[code] = counts.get(code, 0) + n

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = sum(counts.values())
    return total / (time.monotonic() - started), total, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--issue", type=int, default=50, help="credentials to issue first")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    folder = Path(tempfile.mkdtemp(prefix="lerconnect-bench-serve-"))
    os.environ["BENCH_KEY_PASSPHRASE"] = "bench"
    SigningKey.generate().save(folder / "key.pem", "bench")
    settings = settings_from_dict(
        {
            "issuer": {
                "name": "Bench University",
                "key_file": str(folder / "key.pem"),
                "passphrase_env": "BENCH_KEY_PASSPHRASE",
                "status_dir": str(folder / "status"),
                "status_base_url": "https://bench.example.edu/status",
            },
            "serve": {"access_log": False, "rate_limit_per_minute": 1_000_000},
        }
    )
    store = Store(str(folder / "bench.db"), auto_upgrade=True)
    client_id, secret = register(store, "bench", ["issue", "status"])
    with served_app(create_app(settings, store)) as base, requests.Session() as http:
        token = http.post(
            base + "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret), timeout=30
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        started = time.monotonic()
        signed = [
            http.post(
                base + "/credentials/issue",
                json={"credential": BADGE, "options": {"credentialId": f"urn:uuid:bench-{n}"}},
                headers=auth,
                timeout=60,
            ).json()["verifiableCredential"]
            for n in range(args.issue)
        ]
        issue_rate = args.issue / (time.monotonic() - started)
        badge = signed[0]
        status_path = urlsplit(badge["credentialStatus"]["statusListCredential"]).path
        tag = http.get(base + status_path, timeout=30).headers["etag"]

        print(f"lerconnect serve, uvicorn, 1 process; {args.clients} client threads in-process; {os.cpu_count()} CPUs")
        print(f"POST /credentials/issue (sequential, 1 client): {issue_rate:,.1f} /s")
        figures = {
            "POST /credentials/verify (Open Badge)": lambda s: (
                s.post(base + "/credentials/verify", json={"verifiableCredential": badge}, timeout=60).status_code
            ),
            "GET status list (200, full body)": lambda s: s.get(base + status_path, timeout=30).status_code,
            "GET status list (304, If-None-Match)": lambda s: (
                s.get(base + status_path, headers={"If-None-Match": tag}, timeout=30).status_code
            ),
        }
        for name, call in figures.items():
            per_second, total, counts = rate(args.seconds, args.clients, call)
            print(f"{name}: {per_second:,.1f} /s ({total} requests in {args.seconds:g} s; status {counts})")
    store.dispose()
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
