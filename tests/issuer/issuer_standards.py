"""Paths to the official standards files live outside the repo (tests only, never shipped)."""

import json
import os
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("LERCONNECT_SHARED", Path(__file__).parents[2] / ".." / "shared")).resolve()
STANDARDS = SHARED / "standards"


def standards_path(*parts: str) -> Path:
    path = STANDARDS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"standards data not found at {path}; set LERCONNECT_SHARED to the shared/ folder")
    return path


def load_json(*parts: str):
    return json.loads(standards_path(*parts).read_text(encoding="utf-8"))
