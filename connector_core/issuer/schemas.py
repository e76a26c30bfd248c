"""The 1EdTech JSON Schemas credentials name in `credentialSchema`: URLs, SHA-256 pins, a folder resolver.

No PyPI package ships these schemas (openbadgeslib and openvc-core ship contexts and code only), and
their 1EdTech licence has not been confirmed for redistribution inside a package, so the project ships
the pins, not the files: an operator puts the purl-published files in a folder (`[issuer].schemas_dir`,
`verify --schema-dir`), and each file must match its pin before it is used. A schema that is not
installed makes the schema check "skipped", with this fix in the message; never a network fetch.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

VALIDATOR_TYPE = "1EdTechJsonSchemaValidator2019"
OB_ACHIEVEMENT_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
CLR_SCHEMA = "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"

#: schema URL -> SHA-256 of the bytes purl serves (as vendored by conform-ed @ 714798ca, which records them)
PINNED_SCHEMAS: Mapping[str, str] = {
    OB_ACHIEVEMENT_SCHEMA: "b7358e895f492e74055dc6bfc7ffc420d0e497f90c4579fb83d9519b86d393ea",
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json": (
        "786b1190ea97e7e339d8057f02414603c0e2b8b1cbe46fd72165c73f39a256c6"
    ),
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_profile_schema.json": (
        "6b268f2caa591bf657e2a290e195713c41dc2db4e1c797723cfd00a1a83f8f13"
    ),
    CLR_SCHEMA: "59d778659204b0bd593e9e2ab1683fb6f688e339885c44019f606ed6feb4caee",
    "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_achievementcredential_schema.json": (
        "c3cbfc94bde1c1ed8500994933fefb2dadc13a591bbe7b6c58e9978921fd34c3"
    ),
    "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_endorsementcredential_schema.json": (
        "0617e920a8daa0497a42537380036617e8239da01bf8ca3e7341e5b3e74b1356"
    ),
    "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_profile_schema.json": (
        "b9e1ed2da5761c107b1d440dd875374848ad56d40b1c006a8c4198a869d905b3"
    ),
}


def schema_entry(url: str) -> dict:
    """The `credentialSchema` entry 1EdTech's examples carry (needs the OB extensions.json context)."""
    return {"id": url, "type": VALIDATOR_TYPE}


class SchemaNotInstalled(LookupError):
    """A credential names a pinned schema whose file is not in any schema folder."""


class PinnedSchemas:
    """Resolves schema URLs to the JSON of pinned files found (by file name) in the given folders."""

    def __init__(self, folders: Iterable[Path]) -> None:
        self.folders = [Path(f) for f in folders]
        self.files = {p.name: p for folder in self.folders for p in sorted(folder.rglob("*.json"))}

    def __call__(self, url: str) -> Mapping:
        pin = PINNED_SCHEMAS.get(url)
        if pin is None:
            raise LookupError(f"schema {url} is not one of the pinned 1EdTech schemas; it is not fetched")
        name = url.rsplit("/", 1)[-1]
        path = self.files.get(name)
        if path is None:
            where = ", ".join(map(str, self.folders)) or "no folder given"
            raise SchemaNotInstalled(
                f"schema {name} is not installed ({where}); put the file published at {url} "
                "in [issuer].schemas_dir or pass `verify --schema-dir`"
            )
        data = path.read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        if actual != pin:
            raise LookupError(f"{path} has SHA-256 {actual}, but {url} is pinned at {pin}; use the published file")
        return json.loads(data)
