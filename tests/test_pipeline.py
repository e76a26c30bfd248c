"""One run pipeline: sync the selected sources, then reconcile issuing; dry run and the stop signal."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from connector_core.config import ConfigError, settings_from_dict
from connector_core.issuer import SigningKey
from connector_core.pipeline import Pipeline, PipelineProgress
from connector_core.plugins import load_registry
from connector_core.store import Store
from connector_core.store import credentials as cred_store
from connector_core.store import records as record_store

PASSPHRASE = "pipeline test passphrase"
COLUMNS = {
    "record_id": "id",
    "learner_id": "student",
    "institution_id": "student",
    "email": "email",
    "achievement_id": "club",
    "title": "club",
    "status": "status",
}


def _settings(tmp_path: Path, count: int) -> object:
    lines = ["id,student,email,club,status"] + [f"a{i},S{i},s{i}@x.edu,Club {i},completed" for i in range(count)]
    (tmp_path / "events.csv").write_text("\n".join(lines) + "\n")
    SigningKey.generate().save(tmp_path / "key.pem", PASSPHRASE)
    return settings_from_dict(
        {
            "issuer": {
                "key_file": str(tmp_path / "key.pem"),
                "passphrase": PASSPHRASE,
                "status_dir": str(tmp_path / "status"),
            },
            "sources": {
                "engage": {
                    "plugin": "files",
                    "files": {"cocurricular": {"path": str(tmp_path / "events.csv"), "columns": COLUMNS}},
                }
            },
        }
    )


@pytest.fixture
def pipeline(tmp_path: Path, store: Store) -> Pipeline:
    return Pipeline(store, load_registry(), _settings(tmp_path, 5))


def test_a_run_syncs_then_issues_and_returns_both(pipeline: Pipeline, store: Store) -> None:
    night = pipeline.run()
    (run,) = night.runs
    assert (run.source, run.status, run.count("new")) == ("engage", "succeeded", 5)
    assert night.succeeded and night.issuing is not None and night.issuing.issued == 5
    assert len(cred_store.list_credentials(store, kind="achievement")) == 5
    again = pipeline.run(["engage"], full=True)
    assert (again.runs[0].count("unchanged"), again.issuing.issued) == (5, 0)


def test_a_dry_run_counts_what_would_be_issued_and_writes_nothing(pipeline: Pipeline, store: Store) -> None:
    night = pipeline.run(dry_run=True)
    assert night.runs[0].count("new") == 5 and night.issuing.dry_run
    assert list(record_store.iter_records(store)) == []
    assert cred_store.list_credentials(store) == []


def test_the_stop_signal_ends_after_the_page_and_issues_nothing(pipeline: Pipeline, store: Store) -> None:
    stop = threading.Event()

    class StopAfterAPage(PipelineProgress):
        def page(self, result: object, page: object) -> None:
            stop.set()

    night = pipeline.run(stop=stop, progress=StopAfterAPage())
    assert night.stopped and night.issuing is None
    assert night.runs[0].status == "interrupted"
    assert cred_store.list_credentials(store) == []


class Heard(PipelineProgress):
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def page(self, result: object, page: object) -> None:
        self.events.append(("page", len(page.records)))

    def run_done(self, result: object) -> None:
        self.events.append(("run_done", result.status))

    def phase(self, name: str, advance: int, total: int | None = None) -> None:
        self.events.append(("phase", name, advance, total))

    def phase_done(self, name: str, summary: str) -> None:
        self.events.append(("phase_done", name, summary))


def test_progress_hears_each_page_the_end_of_each_run_and_the_issuing(pipeline: Pipeline) -> None:
    heard = Heard()
    pipeline.run(progress=heard)
    issuing = [e for e in heard.events if e[0] == "phase" and e[1] == "issuing"]
    assert heard.events[:2] == [("page", 5), ("run_done", "succeeded")]
    assert issuing[0] == ("phase", "issuing", 0, 5) and sum(e[2] for e in issuing) == 5
    assert ("phase", "CLRs", 1, None) in heard.events
    assert heard.events[-1] == ("phase_done", "issuing", "5 issued, 0 revoked, 5 CLRs")


def test_nothing_configured_is_a_config_error_naming_the_fix(tmp_path: Path, store: Store) -> None:
    with pytest.raises(ConfigError, match=r"add a \[sources.<name>\] table"):
        Pipeline(store, load_registry(), settings_from_dict({})).run()


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_migrating_the_store_does_not_import_the_scheduler(tmp_path: Path) -> None:
    code = (
        "import sys; from connector_core.store import Store; "
        f"Store({str(tmp_path / 'x.db')!r}, auto_upgrade=True).dispose(); "
        "print('connector_core.scheduler' in sys.modules)"
    )
    assert _python(code) == "False"


def test_the_issuer_commands_join_through_the_hook_not_an_import() -> None:
    code = (
        "import sys, connector_core.cli as c; before = 'connector_core.issuer_cli' in sys.modules; "
        "names = c.cli.list_commands(None); print(before, all(n in names for n in ('keys', 'credentials', 'verify')))"
    )
    assert _python(code) == "False True"
    listed = json.loads(
        _python(
            "from click.testing import CliRunner; from connector_core.cli import cli; "
            "print(CliRunner().invoke(cli, ['plugins', '--json']).output)"
        )
    )
    assert "issuer" in {p["name"] for p in listed["plugins"]}


def _imports(path: Path, package: Path) -> set[str]:
    """Modules of connector_core imported at module level (TYPE_CHECKING blocks included)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text())
    body = list(tree.body)
    while body:
        node = body.pop()
        if isinstance(node, ast.If | ast.Try):
            body.extend(node.body + node.orelse + getattr(node, "handlers", []))
        elif isinstance(node, ast.ExceptHandler):
            body.extend(node.body)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("connector_core"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("connector_core"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                is_module = (package.parent / sub.replace(".", "/")).with_suffix(".py").exists() or (
                    package.parent / sub.replace(".", "/")
                ).is_dir()
                found.add(sub if is_module else node.module)
    return found


def test_connector_core_has_no_import_circles() -> None:
    package = Path(__file__).resolve().parents[1] / "connector_core"
    graph = {}
    for path in package.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(package.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        graph[name] = _imports(path, package) - {name}

    def cycle_from(start: str, node: str, seen: tuple[str, ...]) -> tuple[str, ...] | None:
        for target in sorted(graph.get(node, ())):
            if target == start:
                return (*seen, target)
            if target not in seen and target in graph and (found := cycle_from(start, target, (*seen, target))):
                return found
        return None

    circles = [c for name in sorted(graph) if (c := cycle_from(name, name, (name,)))]
    assert not circles, " → ".join(circles[0])


def test_issue_false_syncs_only_so_a_fan_out_can_reconcile_once_at_the_end(pipeline: Pipeline, store: Store) -> None:
    night = pipeline.run(issue=False)
    assert night.runs[0].count("new") == 5 and night.issuing is None
    assert cred_store.list_credentials(store) == []
    assert pipeline.run(full=True).issuing.issued == 5
