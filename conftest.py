"""Repository-wide test options (the plugins' tests and the core's alike)."""

from __future__ import annotations

import pytest

STORE_FIXTURES = {"db_url", "lerconnect_store"}  # every store a test opens comes from one of these


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--store-tests-only",
        action="store_true",
        help="run only the tests that open a store (the second, PostgreSQL pass: the rest ran the same already)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--store-tests-only"):
        return
    kept = [item for item in items if STORE_FIXTURES & set(getattr(item, "fixturenames", ()))]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept
