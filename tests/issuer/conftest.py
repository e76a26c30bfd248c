"""Fixtures for the issuer tests."""

import pytest
from issuer_standards import standards_path

from connector_core.issuer import Canonicalizer, DocumentLoader


@pytest.fixture(scope="session")
def loader() -> DocumentLoader:
    """Built-in contexts plus the test-only ones (VC examples v2, status v1) from shared/standards."""
    return DocumentLoader(extra_dir=standards_path("contexts"))


@pytest.fixture(scope="session")
def canon(loader) -> Canonicalizer:
    return Canonicalizer(loader)
