"""Plugins, and their tests, use connector_core the way an outside vendor's would: through its face.

The face is what `connector_core` exports and the toolkits it names (`read`, `sandbox`, `testing`,
`transport`), each by its `__all__`; every other module is the framework's own and may change.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FACE = (
    "connector_core",
    "connector_core.read",
    "connector_core.sandbox",
    "connector_core.testing",
    "connector_core.transport",
)
TOOLKITS = {module.rsplit(".", 1)[-1] for module in FACE[1:]}


def past_the_face(path: Path, where: str) -> list[str]:
    """`where:line: what` for each import in `path` that reaches behind the face."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, node.module, a.name) for a in node.names]
    problems = []
    for line, module, name in found:
        if module.split(".")[0] != "connector_core":
            continue
        if module not in FACE:
            problems.append((line, module, f"{module} is not on the face"))
        elif name is not None and not (module == "connector_core" and name in TOOLKITS):
            exported = importlib.import_module(module).__all__
            if name not in exported:
                problems.append((line, module, f"{module} does not export {name}"))
    return [f"{where}:{line}: {why}" for line, module, why in sorted(problems)]


def test_every_plugin_and_its_tests_import_only_the_face() -> None:
    files = sorted(ROOT.glob("plugins/*/**/*.py")) + sorted(ROOT.glob("examples/*.py"))
    assert any("tests" in f.parts for f in files) and any(f.name == "source.py" for f in files)
    problems = [problem for path in files for problem in past_the_face(path, path.relative_to(ROOT).as_posix())]
    assert not problems, "\n".join(problems)


def test_the_check_sees_a_private_import_and_an_unexported_name(tmp_path: Path) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "from connector_core.store import Store\nfrom connector_core import logs\nimport connector_core.engine\n"
        "from connector_core import testing, Source\nfrom connector_core.testing import SyncBench\n"
    )
    problems = past_the_face(probe, "plugins/probe/tests/conftest.py")
    assert [p.split(": ", 1)[1] for p in problems] == [
        "connector_core.store is not on the face",
        "connector_core does not export logs",
        "connector_core.engine is not on the face",
    ]
