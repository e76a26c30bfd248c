"""The official standards files (contexts, schemas, vectors) live outside the repo: tests only."""

import json
from pathlib import Path

from connector_core.testing import shared_path


def standards_path(*parts: str) -> Path:
    return shared_path("standards", *parts)


def load_json(*parts: str):
    return json.loads(standards_path(*parts).read_text(encoding="utf-8"))
