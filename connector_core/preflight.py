"""Everything a night needs, checked before the night: `lerconnect check` and the start of `run`.

A bad schedule, an unknown time zone, a key that does not decrypt, a status folder that cannot be
written, a store behind the code or a source that refuses us is found at start, not at 2 a.m.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from connector_core.config import ConfigError, Settings
from connector_core.engine import build_source
from connector_core.issuing import load_key_ring, published_status_dir
from connector_core.plugins import Registry, UnknownPlugin
from connector_core.source import SourceError
from connector_core.store import Store, StoreError


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str
    configuration: bool = False  # failed because of the configuration (exit code 2), not the system


def _schedules(settings: Settings, sources: list[str]) -> Iterator[Check]:
    from connector_core.scheduler import source_trigger

    for name in sources:
        schedule = settings.sources[name].get("schedule")
        if not schedule:
            continue
        try:
            trigger = source_trigger(settings, name, schedule)
            yield Check(f"schedule {name}", True, f"{schedule!r} in {trigger.timezone}")
        except ConfigError as exc:
            yield Check(f"schedule {name}", False, str(exc), configuration=True)


def _store(url: str) -> Check:
    try:
        store = Store(url, auto_upgrade=False)
    except StoreError as exc:
        if url.startswith("sqlite") or "://" not in url:
            return Check("store", True, f"{exc}; SQLite upgrades itself on first use")
        return Check("store", False, str(exc))
    except Exception as exc:  # a server that does not answer, a URL that does not parse
        return Check("store", False, f"cannot open the store: {type(exc).__name__}: {exc}")
    revision = store.revision()
    store.dispose()
    return Check("store", True, f"schema at revision {revision}")


def _issuer(settings: Settings, base_dir: Path) -> Iterator[Check]:
    issuer = settings.issuer
    if issuer is None:
        yield Check("issuer", True, "no [issuer] table: records are stored, nothing is signed")
        return
    try:
        settings.require("issuer")
        ring = load_key_ring(issuer, base_dir)  # decrypts the key once: the passphrase is right
        yield Check("signing key", True, f"decrypts; issuer DID {ring.did}")
    except Exception as exc:  # no key, wrong passphrase, an unreadable file: all say what to fix
        yield Check("signing key", False, str(exc), configuration=isinstance(exc, ConfigError))
    folder = published_status_dir(issuer, base_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".lerconnect-check-"):
            pass
        yield Check("status directory", True, f"{folder} is writable")
    except OSError as exc:
        yield Check("status directory", False, f"{folder} cannot be written ({exc.strerror}): fix its permissions")


def _sources(settings: Settings, registry: Registry, sources: list[str]) -> Iterator[Check]:
    for name in sources:
        try:
            instance = build_source(settings, registry, name)
        except (ConfigError, UnknownPlugin) as exc:
            yield Check(f"source {name}", False, str(exc), configuration=True)
            continue
        try:
            yield Check(f"source {name}", True, instance.check())
        except SourceError as exc:
            yield Check(f"source {name}", False, str(exc))
        finally:
            instance.close()


def night_checks(settings: Settings, registry: Registry, store_url: str, sources: list[str]) -> list[Check]:
    """Every check, in the order a night meets them; none stops the others from running."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    base_dir = settings.path.parent if settings.path else Path.cwd()
    checks = []
    try:
        ZoneInfo(settings.scheduler.timezone)
        checks.append(Check("time zone", True, settings.scheduler.timezone))
    except (ZoneInfoNotFoundError, ValueError):
        checks.append(
            Check(
                "time zone",
                False,
                f"{settings.path or '<config>'}: scheduler.timezone {settings.scheduler.timezone!r} is not a known "
                f'time zone: use an IANA name such as "America/Chicago" or "UTC"',
                configuration=True,
            )
        )
    else:
        checks.extend(_schedules(settings, sources))
    checks.append(_store(store_url))
    checks.extend(_issuer(settings, base_dir))
    checks.extend(_sources(settings, registry, sources))
    return checks
