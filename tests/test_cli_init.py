"""`lerconnect init` writes what the errors point at (issue 8 §12)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from operator_project import run


def test_init_writes_a_commented_issuer_table_that_works_uncommented(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("init")[0] == 0
    text = (tmp_path / "lerconnect.toml").read_text()
    assert "# [issuer]" in text and "issuer" not in tomllib.loads(text)
    code, _, err = run("keys", "show")
    assert code == 2 and "no [issuer] table: add one (see `lerconnect init`)" in err
    lines = text.splitlines()
    start = lines.index("# [issuer]")
    block = []
    for line in lines[start:]:
        if not line.startswith("# "):
            break
        block.append(line[2:])
    uncommented = text.replace("\n".join(lines[start : start + len(block)]), "\n".join(block))
    (tmp_path / "lerconnect.toml").write_text(uncommented)
    issuer = tomllib.loads(uncommented)["issuer"]
    assert issuer["key_file"] == "issuer-key.pem" and issuer["status_dir"] == "status"
    code, out, _ = run("keys", "generate", env={"LERCONNECT_KEY_PASSPHRASE": "s3cret-pass"})
    assert code == 0 and "DID the config will use: did:key:" in out
