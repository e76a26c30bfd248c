"""Typed hook contexts: a delivery sink knows the learner and the record; version-1 plugins still load."""

from __future__ import annotations

from pathlib import Path

import pytest

import connector_core
from connector_core import DeliveryContext, IssueContext, LearnerRef, TransformContext, hookimpl
from connector_core.pipeline import Pipeline
from connector_core.plugins import load_registry
from connector_core.store import Store
from connector_core.store import records as record_store
from tests.test_pipeline import _settings


class DeliverySink:
    """A version-2 plugin: reads the typed contexts."""

    __name__ = "delivery_sink"

    def __init__(self) -> None:
        self.seen: list[tuple[str, DeliveryContext]] = []
        self.transforms: list[TransformContext] = []

    @hookimpl
    def lerconnect_transform(self, record, context: TransformContext) -> None:
        self.transforms.append(context)

    @hookimpl
    def lerconnect_after_issue(self, credential: dict, context: DeliveryContext) -> None:
        self.seen.append((credential["id"], context))


class VersionOnePlugin:
    """A plugin written against version 1: contexts read as dicts."""

    __name__ = "version_one"

    def __init__(self) -> None:
        self.transform_keys: list[tuple[str, str, bool]] = []
        self.policy: list[tuple[str, object, str]] = []

    @hookimpl
    def lerconnect_transform(self, record, context) -> None:
        self.transform_keys.append((context["source"], context["stream"], bool(context.get("run_id"))))

    @hookimpl
    def lerconnect_before_issue(self, draft: dict, context) -> None:
        self.policy.append((context["learner"], context["record"], context["kind"]))


def test_after_issue_knows_the_learner_the_record_and_the_kind(tmp_path: Path, store: Store) -> None:
    sink = DeliverySink()
    night = Pipeline(store, load_registry(extra_modules=(sink,)), _settings(tmp_path, 3)).run()
    achievements = [c for _, c in sink.seen if c.kind == "achievement"]
    clrs = [c for _, c in sink.seen if c.kind == "clr"]
    assert len(achievements) == 3 and len(clrs) == 3
    stored = {row.id: row for row, _ in record_store.iter_records(store)}
    for context in achievements:
        row = stored[context.record.key]
        assert context.learner.key == row.learner_key and context.learner.email == f"s{row.source_record_id[1:]}@x.edu"
        assert (context.record.source, context.record.stream) == ("engage", "cocurricular")
        assert context.record.source_record_id == row.source_record_id
        assert context.run_id == night.run_id and context.replaces is None and context.learner.did is None
    assert all(c.record is None and c.learner.key in {r.learner_key for r in stored.values()} for c in clrs)
    assert {(c.source, c.stream) for c in sink.transforms} == {("engage", "cocurricular")}


def test_a_version_one_plugin_still_loads_and_reads_its_keys(tmp_path: Path, store: Store) -> None:
    old = VersionOnePlugin()
    registry = load_registry(extra_modules=(old,))
    assert not [a for a in registry.set_aside if "version_one" in a.name]
    Pipeline(store, registry, _settings(tmp_path, 2)).run()
    assert old.transform_keys == [("engage", "cocurricular", True)] * 2
    stored = {row.id: row.learner_key for row, _ in record_store.iter_records(store)}
    achievement = [p for p in old.policy if p[2] == "achievement"]
    assert sorted(achievement) == sorted((key, row_id, "achievement") for row_id, key in stored.items())
    assert {p[1] for p in old.policy if p[2] == "clr"} == {None}


def test_a_missing_key_names_the_attributes() -> None:
    context = IssueContext(kind="clr", learner=LearnerRef("k1"))
    with pytest.raises(KeyError, match="learner, record, run_id"):
        context["email"]
    assert context.get("email") is None and "kind" in context


def test_the_face_offers_what_a_plugin_needs() -> None:
    for name in ("Cursor", "SourceContext", "Campus", "build_campus", "TransformContext", "IssueContext"):
        assert name in connector_core.__all__ and hasattr(connector_core, name)
