"""The source contract checks: each returns the problems it found; `run_contract` runs them all."""

from __future__ import annotations

import copy
import json
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from connector_core import hookspecs
from connector_core.config import ConfigError, settings_from_dict, source_config
from connector_core.model import LearningRecord, Tombstone
from connector_core.plugins import Registry, empty_registry, source_problem
from connector_core.secrecy import secret_fields
from connector_core.source import RecordError, Source, SourceContext, SourceError
from connector_core.testing.sandbox import run_sandbox

CONTRACT_SOURCE = "contract"
"""The configured source name the kit uses for the source under test."""
_MAX_PAGES = 10_000


class _SourcePlugin:
    """Registers one Source class, as a plugin module's hook would."""

    def __init__(self, cls: type[Source]) -> None:
        self.cls = cls
        self.__name__ = f"contract:{cls.__module__}.{cls.__qualname__}"

    @hookspecs.hookimpl
    def lerconnect_register_sources(self, register: Callable[[type[Source]], None]) -> None:
        register(self.cls)


def isolated_registry(*plugins: object) -> Registry:
    """A registry of exactly these plugins (Source classes or hook modules), no installed ones.

    Installed plugins are left out on purpose: a source under development must not collide with
    an installed release of itself, and other plugins' transform hooks must not blur the result.
    """
    registry = empty_registry()
    for plugin in plugins:
        if isinstance(plugin, type) and issubclass(plugin, Source):
            plugin = _SourcePlugin(plugin)
        name = getattr(plugin, "__name__", repr(plugin))
        registry.add_plugin(plugin, name=name, version=str(getattr(plugin, "__version__", "0+contract")))
    return registry


def _table(
    source_cls: type[Source], table: Mapping[str, Any], streams: tuple[str, ...] | None = None
) -> dict[str, Any]:
    out = {**table, "plugin": source_cls.name}
    if streams:
        out["streams"] = list(streams)
    return out


def make_source(
    source_cls: type[Source], table: Mapping[str, Any], *, name: str = CONTRACT_SOURCE, base_dir: Path | None = None
) -> Source:
    """Instantiate `source_cls` from a config table the way the engine does (validated Config)."""
    base = base_dir or Path.cwd()
    settings = settings_from_dict({"sources": {name: _table(source_cls, table)}}, base / "lerconnect.toml")
    config = source_config(settings, name, source_cls.Config)
    return source_cls(
        config, SourceContext(name=name, plugin=source_cls.name, plugin_version="0+contract", base_dir=base)
    )


def bad_credentials(table: Mapping[str, Any], model: type[BaseModel]) -> dict[str, Any] | None:
    """The table with each value of a `SecretStr` field of `model` spoiled; None when it has none."""
    secrets = secret_fields(model) & {k for k, v in table.items() if isinstance(v, str)}
    if not secrets:
        return None
    return {k: "lerconnect-contract-wrong-" + v[::-1] if k in secrets else v for k, v in table.items()}


def _canonical(raw: Any) -> str:
    return json.dumps(raw, sort_keys=True, default=str)


def _describe(source: Source, stream: str, raws: list[Any], limit: int = 3) -> str:
    ids = []
    for raw in raws[:limit]:
        try:
            ids.append(source.record_id(stream, raw))
        except Exception:  # the id itself is broken: show the raw record instead
            ids.append(_canonical(raw)[:60])
    more = f" and {len(raws) - limit} more" if len(raws) > limit else ""
    return ", ".join(ids) + more


def check_credentials(
    source_cls: type[Source],
    table: Mapping[str, Any],
    bad_table: Mapping[str, Any] | None,
    *,
    base_dir: Path | None = None,
    notes: list[str] | None = None,
) -> list[str]:
    """`check()` passes with good config and raises a `SourceError` with a message with bad config."""
    problems: list[str] = []
    notes = notes if notes is not None else []
    source = make_source(source_cls, table, base_dir=base_dir)
    try:
        described = source.check()
        if not described:
            notes.append("check() returned nothing: return a one-line description of what it reached")
    except Exception as exc:
        return [f"check() failed with the good config: {type(exc).__name__}: {exc}"]
    finally:
        source.close()
    bad_table = bad_table if bad_table is not None else bad_credentials(table, source_cls.Config)
    if bad_table is None:
        notes.append(
            "the Config has no SecretStr field to spoil: pass bad_config_table to check how bad credentials fail"
        )
        return problems
    source = make_source(source_cls, bad_table, base_dir=base_dir)
    try:
        source.check()
        problems.append("check() passed with bad credentials: it must make an authenticated call")
    except SourceError as exc:
        if not str(exc).strip():
            problems.append(
                f"check() raised {type(exc).__name__} with an empty message on bad credentials: "
                f"say what was refused and how to fix it"
            )
    except Exception as exc:
        problems.append(
            f"check() raised {type(exc).__name__} on bad credentials, not a SourceError "
            f"(SourceAuthError for refused credentials): {exc}"
        )
    finally:
        source.close()
    return problems


@dataclass
class PullResult:
    """A full pull: raw records per page and the cursor saved after each (as the store returns it)."""

    pages: list[list[Any]] = field(default_factory=list)
    cursors: list[Any] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def records(self) -> list[Any]:
        return [raw for page in self.pages for raw in page]


def _pull(source: Source, stream: str, cursor: Any, where: str) -> PullResult:
    """Pull to the end, keeping each cursor as the engine would store it (a JSON round trip)."""
    result = PullResult()
    for number, page in enumerate(source.pull(stream, cursor), start=1):
        if number > _MAX_PAGES:
            result.problems.append(
                f"{stream}: pull {where} did not end after {_MAX_PAGES} pages: check the next-page logic"
            )
            break
        try:
            saved = json.loads(json.dumps(page.cursor))
        except (TypeError, ValueError) as exc:
            result.problems.append(
                f"{stream}: the cursor after page {number} ({page.cursor!r}) is not "
                f"JSON-serializable ({exc}): use str/int/float/list/dict, e.g. ISO dates"
            )
            break
        result.pages.append([copy.deepcopy(raw) for raw in page.records])
        result.cursors.append(saved)
    return result


def check_pull(source: Source, stream: str, *, resume_points: int = 4) -> PullResult:
    """Pull everything, then resume from saved cursors: each resume yields exactly the rest.

    Resume points are spread over the pages (after the first, the middle, the one before last and
    the last). From the last cursor nothing new may come back: a source with no "changed since"
    filter (Canvas) may re-read its window, but only records the full pull returned, unchanged.
    """
    result = _pull(source, stream, None, "from the start")
    if result.problems:
        return result
    again = _pull(source, stream, None, "from the start (second time)")
    if Counter(map(_canonical, again.records)) != Counter(map(_canonical, result.records)):
        result.problems.append(
            f"{stream}: two pulls from the start returned different records: the "
            f"sandbox or the pull is not deterministic"
        )
        return result
    count = len(result.pages)
    points = sorted({1, count // 2, count - 1, count} - {0})
    if len(points) > resume_points:
        points = [*points[: resume_points - 1], count]
    everything = Counter(map(_canonical, result.records))
    for after in points:
        expected = Counter(map(_canonical, (raw for page in result.pages[after:] for raw in page)))
        resumed = _pull(source, stream, result.cursors[after - 1], f"from the cursor after page {after}")
        result.problems.extend(resumed.problems)
        got = Counter(map(_canonical, resumed.records))
        if got == expected or (after == count and not got - everything):
            continue
        missing = [json.loads(k) for k in (expected - got).elements()]
        extra = [json.loads(k) for k in (got - expected).elements()]
        detail = []
        if missing:
            detail.append(f"{len(missing)} missing ({_describe(source, stream, missing)})")
        if extra:
            detail.append(f"{len(extra)} extra or repeated ({_describe(source, stream, extra)})")
        result.problems.append(
            f"{stream}: resuming from the cursor saved after page {after} of {count} "
            f"({result.cursors[after - 1]!r}) did not yield exactly the remaining records: " + "; ".join(detail)
        )
    return result


def _normalized(source: Source, stream: str, raw: Any) -> list[Any]:
    return list(source.normalize(stream, copy.deepcopy(raw)))


def _fingerprint(items: list[Any]) -> list[str]:
    return [("tombstone:" + i.source_record_id) if isinstance(i, Tombstone) else i.content_hash() for i in items]


def _invalid_item(item: Any) -> str | None:
    if isinstance(item, Tombstone):
        return None
    if not isinstance(item, LearningRecord):
        return f"yielded a {type(item).__name__}, not a LearningRecord or Tombstone"
    try:
        LearningRecord.model_validate(item.model_dump())
    except ValidationError as exc:
        return f"yielded an invalid LearningRecord (built without validation?): {exc.errors()[0]['msg']}"
    return None


@dataclass
class NormalizeResult:
    """What normalizing a pull produced: the items in order, and the raws that raised."""

    items: list[LearningRecord | Tombstone] = field(default_factory=list)
    failed: list[tuple[Any, Exception]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _grouped(stream: str, issues: dict[str, list[str]]) -> list[str]:
    """One line per kind of issue, naming a few of the records it hit."""
    lines = []
    for message, ids in issues.items():
        more = f" and {len(ids) - 3} more" if len(ids) > 3 else ""
        lines.append(f"{stream}: {message} (record {', '.join(ids[:3])}{more})")
    return lines


def check_normalize(source: Source, stream: str, raws: list[Any]) -> NormalizeResult:
    """Same raw → same content hashes; valid items; raw records left unmodified."""
    out = NormalizeResult()
    issues: dict[str, list[str]] = {}
    hashes: dict[str, str] = {}
    duplicates: list[str] = []
    for raw in raws:
        before = _canonical(raw)
        name = _describe(source, stream, [raw])
        try:
            items = list(source.normalize(stream, raw))
        except Exception as exc:  # the engine dead-letters it; reported by the caller
            out.failed.append((raw, exc))
            continue
        if _canonical(raw) != before:
            issues.setdefault("normalize() modified the raw record it was given; copy it instead", []).append(name)
        bad = next((why for item in items if (why := _invalid_item(item))), None)
        if bad:
            issues.setdefault(f"normalize() {bad}", []).append(name)
            continue
        try:
            again = _normalized(source, stream, raw)
        except Exception as exc:
            issues.setdefault(f"normalize() succeeded once, then raised {type(exc).__name__}", []).append(name)
            continue
        if _fingerprint(again) != _fingerprint(items):
            issues.setdefault(
                "normalize() is not deterministic: the same raw record gave different content "
                "hashes (a clock, a random id or set order in the data?)",
                [],
            ).append(name)
            continue
        for item in items:
            if isinstance(item, LearningRecord):
                digest = item.content_hash()
                if hashes.setdefault(item.source_record_id, digest) != digest:
                    duplicates.append(item.source_record_id)
        out.items.extend(items)
    out.problems = _grouped(stream, issues)
    if duplicates:
        out.notes.append(
            f"{stream}: {len(duplicates)} source_record_id(s) come back with different content in "
            f"one pull (e.g. {duplicates[0]!r}); only the last is kept — are ids unique?"
        )
    return out


def check_holds(source: Source, stream: str, items: list[LearningRecord | Tombstone]) -> list[str]:
    """A stream that yields a FERPA hold (`Learner.confidential`) must say so with `flags_holds`.

    Otherwise issuing does not wait for its passes: a killed or failed run, or a missing export,
    lets another source's records for a held learner be signed before the hold is stored.
    """
    held = [i.source_record_id for i in items if isinstance(i, LearningRecord) and i.learner.confidential]
    if not held or source.flags_holds(stream):
        return []
    more = f" and {len(held) - 3} more" if len(held) > 3 else ""
    return [
        f"{stream}: normalize() yields learners with confidential=True (a FERPA hold; record "
        f"{', '.join(held[:3])}{more}) but flags_holds({stream!r}) is False, so issuing would not wait "
        f"for this stream's passes and a failed or killed run lets the hold slip: override "
        f"{type(source).__qualname__}.flags_holds to return True for {stream!r}"
    ]


def _mutations(raw: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """Broken variants of a good raw record: fields dropped, nulled, or of the wrong shape."""
    yield "an empty record {}", {}
    for key, value in raw.items():
        if str(key).startswith("_"):
            continue
        yield f"without {key!r}", {k: v for k, v in raw.items() if k != key}
        yield f"with {key!r} = null", {**raw, key: None}
        wrong = "not-a-" + type(value).__name__ if isinstance(value, Mapping | list) else {"unexpected": [1]}
        yield f"with {key!r} of the wrong type", {**raw, key: wrong}
        if isinstance(value, Mapping):
            for inner in value:
                yield f"without {key}.{inner}", {**raw, key: {k: v for k, v in value.items() if k != inner}}
                yield f"with {key}.{inner} = null", {**raw, key: {**value, inner: None}}


def check_bad_records(
    source: Source,
    stream: str,
    raws: list[Any],
    *,
    samples: int = 3,
    strict: bool = False,
    notes: list[str] | None = None,
) -> list[str]:
    """Broken raw records must raise an Exception (ideally `RecordError` naming the field) or yield valid items.

    An exception that is not a `RecordError` or pydantic `ValidationError` still dead-letters, but
    with no field named: a note, or a problem when `strict`.
    """
    notes = notes if notes is not None else []
    issues: dict[str, list[str]] = {}
    unnamed: dict[str, list[str]] = {}
    for raw in [r for r in raws if isinstance(r, Mapping)][:samples]:
        for label, broken in _mutations(raw):
            where = f"{_describe(source, stream, [raw])} {label}"
            try:
                items = _normalized(source, stream, broken)
            except (RecordError, ValidationError) as exc:
                if isinstance(exc, RecordError) and not exc.reason.strip():
                    issues.setdefault("RecordError with an empty reason: say what is wrong", []).append(where)
                continue
            except Exception as exc:
                unnamed.setdefault(f"{type(exc).__name__}: {exc}", []).append(where)
                continue
            except BaseException as exc:
                issues.setdefault(
                    f"normalize() raised {type(exc).__name__}, which stops the process; raise RecordError instead", []
                ).append(where)
                continue
            bad = next((why for item in items if (why := _invalid_item(item))), None)
            if bad:
                issues.setdefault(f"normalize() {bad}", []).append(where)
    problems = _grouped(stream, issues)
    advice = {
        f"{error} — dead-lettered with no field named; raise RecordError(reason, field=...) for a "
        f"readable reason": where
        for error, where in unnamed.items()
    }
    (problems if strict else notes).extend(_grouped(stream, advice))
    return problems


def _expected_active(items: list[LearningRecord | Tombstone]) -> dict[str, str]:
    active: dict[str, str] = {}
    for item in items:
        if isinstance(item, Tombstone):
            active.pop(item.source_record_id, None)
        else:
            active[item.source_record_id] = item.content_hash()
    return active


def check_sync(
    source_cls: type[Source],
    table: Mapping[str, Any],
    expected: dict[str, tuple[dict, int]],
    *,
    db_url: str | None = None,
    base_dir: Path | None = None,
    extra_plugins: tuple[object, ...] = (),
) -> list[str]:
    """A real `SyncEngine` run stores exactly `expected[stream]` = (active id → hash, dead letters).

    Then an incremental rerun and a full rerun must find nothing new, changed or withdrawn.
    """
    from connector_core.engine import SyncEngine
    from connector_core.store import Store, database_url, records

    problems: list[str] = []
    with ExitStack() as stack:
        if base_dir is None:
            base_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lerconnect-contract-")))
        if db_url is None:  # beside the source's files, never among them
            db_url = database_url(str(Path(stack.enter_context(tempfile.TemporaryDirectory())) / "contract.db"))
        store = Store(db_url, auto_upgrade=True)
        stack.callback(store.dispose)
        settings = settings_from_dict(
            {"sources": {CONTRACT_SOURCE: _table(source_cls, table, tuple(expected))}}, base_dir / "lerconnect.toml"
        )
        engine = SyncEngine(store, isolated_registry(source_cls, *extra_plugins), settings)
        for label, full in (("first sync", False), ("incremental rerun", False), ("full rerun", True)):
            for result in engine.sync(CONTRACT_SOURCE, full=full):
                where = f"{result.stream}: {label}"
                if result.status != "succeeded":
                    problems.append(f"{where} {result.status}: {result.error}")
                    continue
                if label == "first sync":
                    active, dead = expected[result.stream]
                    stored = {
                        row.source_record_id: row.content_hash
                        for row, _ in records.iter_records(store, source=CONTRACT_SOURCE, stream=result.stream)
                    }
                    if stored != active:
                        problems.append(
                            f"{where}: the store holds {len(stored)} active records, "
                            f"normalizing the pull gave {len(active)}; differing ids: "
                            f"{sorted(set(stored.items()) ^ set(active.items()))[:3]}"
                        )
                    if result.count("dead_lettered") != dead:
                        problems.append(
                            f"{where}: {result.count('dead_lettered')} dead letters, "
                            f"expected {dead} (the records normalize() refused)"
                        )
                elif any(result.count(k) for k in ("new", "changed", "withdrawn")):
                    problems.append(
                        f"{where} found changes in unchanged source data: new={result.count('new')} "
                        f"changed={result.count('changed')} withdrawn={result.count('withdrawn')}"
                    )
            if problems:
                break
    return problems


@dataclass
class ContractReport:
    """What `run_contract` found: problems break the contract, notes are advice."""

    source: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    records: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        head = f"{self.source}: " + (
            "meets the lerconnect source contract" if self.ok else f"{len(self.problems)} contract problem(s)"
        )
        lines = [head, *(f"  ✗ {p}" for p in self.problems), *(f"  note: {n}" for n in self.notes)]
        return "\n".join(lines)


def run_contract(
    source_cls: type[Source],
    config_table: Mapping[str, Any] | None,
    *,
    bad_config_table: Mapping[str, Any] | None = None,
    campus: Any = None,
    streams: tuple[str, ...] | list[str] | None = None,
    base_dir: Path | None = None,
    db_url: str | None = None,
    resume_points: int = 4,
    strict_errors: bool = False,
    extra_plugins: tuple[object, ...] = (),
) -> ContractReport:
    """Run every check; `config_table=None` serves the source's own sandbox built from `campus`."""
    report = ContractReport(getattr(source_cls, "__qualname__", repr(source_cls)))
    problem = source_problem(source_cls)
    if problem:
        report.problems.append(f"not a usable Source: {problem}")
        return report
    with ExitStack() as stack:
        if config_table is None:
            sandbox = stack.enter_context(run_sandbox(source_cls, campus))
            config_table, base_dir = sandbox.table, base_dir or sandbox.workdir
        if base_dir is None:
            base_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lerconnect-contract-")))
        table = {k: v for k, v in config_table.items() if k != "plugin"}
        try:
            source = make_source(source_cls, table, base_dir=base_dir)
        except ConfigError as exc:
            report.problems.append(
                f"the config table does not validate against {source_cls.__qualname__}.Config: {exc}"
            )
            return report
        stack.callback(source.close)
        report.problems += check_credentials(source_cls, table, bad_config_table, base_dir=base_dir, notes=report.notes)
        if report.problems:
            return report
        unknown = [s for s in streams or () if s not in source.streams]
        if unknown:
            report.problems.append(
                f"streams {unknown} are not among {source_cls.__qualname__}.streams {source.streams}"
            )
            return report
        expected: dict[str, tuple[dict, int]] = {}
        for stream in streams or source.active_streams():
            pulled = check_pull(source, stream, resume_points=resume_points)
            report.problems += pulled.problems
            normalized = check_normalize(source, stream, pulled.records)
            report.problems += normalized.problems + check_holds(source, stream, normalized.items)
            report.notes += normalized.notes
            report.records[stream] = len(pulled.records)
            for raw, exc in normalized.failed[:3]:
                report.notes.append(
                    f"{stream}: sandbox record {_describe(source, stream, [raw])} is refused "
                    f"by normalize(): {type(exc).__name__}: {exc}"
                )
            report.problems += check_bad_records(
                source, stream, pulled.records, strict=strict_errors, notes=report.notes
            )
            expected[stream] = (_expected_active(normalized.items), len(normalized.failed))
            if not pulled.records and not pulled.problems:
                report.notes.append(f"{stream}: the sandbox returned no records; the checks proved little")
        if not report.problems and expected:
            report.problems += check_sync(
                source_cls, table, expected, db_url=db_url, base_dir=base_dir, extra_plugins=extra_plugins
            )
    return report


def check_source_contract(
    source_cls: type[Source],
    config_table: Mapping[str, Any] | None = None,
    *,
    bad_config_table: Mapping[str, Any] | None = None,
    campus: Any = None,
    streams: tuple[str, ...] | list[str] | None = None,
    **options: Any,
) -> ContractReport:
    """`run_contract`, raising AssertionError listing every problem: the one-liner for a pytest test."""
    report = run_contract(
        source_cls, config_table, bad_config_table=bad_config_table, campus=campus, streams=streams, **options
    )
    if not report.ok:
        raise AssertionError(report.summary())
    return report
