"""The issuer's commands: `keys`, `credentials` and `verify`.

A built-in plugin: it joins the `lerconnect` group through `lerconnect_register_commands`, as a
vendor's plugin would (entry point `issuer` in the `lerconnect` group).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from connector_core.cli_app import App
from connector_core.cli_learners import find_learner, learner_option
from connector_core.cli_options import db_option, echo_json, json_option, plural
from connector_core.config import ConfigError, IssuerSettings
from connector_core.hookspecs import hookimpl
from connector_core.issuer import KeyFileError, SigningKey
from connector_core.issuing import key_passphrase, key_path, load_key_ring, retired_file
from connector_core.store import credentials as cred_store


def _issuer_settings(app: App) -> IssuerSettings:
    settings = app.settings.issuer
    if settings is None:
        raise click.UsageError("the config has no [issuer] table: add one (see `lerconnect init`)")
    app.settings.require("issuer")
    return settings


def _base_dir(app: App) -> Path:
    return app.settings.path.parent if app.settings.path else Path.cwd()


@click.group()
def keys() -> None:
    """Signing keys: generate, show, rotate, publish a did:web document."""


@keys.command("generate")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--passphrase-env",
    default=None,
    help="Variable holding the passphrase (default: [issuer].passphrase_env, else LERCONNECT_KEY_PASSPHRASE).",
)
@click.option("--insecure-plaintext", is_flag=True, help="Write the key unencrypted (throwaway test keys only).")
@click.option("--force", is_flag=True, help="Overwrite an existing key file.")
@json_option
@click.pass_obj
def keys_generate(
    app: App, path: Path | None, passphrase_env: str | None, insecure_plaintext: bool, force: bool, as_json: bool
) -> None:
    """Create an Ed25519 signing key, encrypted with a passphrase from the environment."""
    from connector_core.issuer import SigningKey

    settings = app.settings.issuer
    path = path or (_base_dir(app) / settings.key_file if settings else Path("issuer-key.pem"))
    variable = passphrase_env or (settings.passphrase_env if settings else "LERCONNECT_KEY_PASSPHRASE")
    if path.exists() and not force:
        raise click.ClickException(f"{path} exists: use --force to replace it, or `keys rotate` to rotate")
    passphrase = os.environ.get(variable)
    if not passphrase and not insecure_plaintext:
        raise ConfigError(
            f"{variable} is not set: export a passphrase in it (the key is encrypted "
            f"with it), or pass --insecure-plaintext for a throwaway test key"
        )
    key = SigningKey.generate()
    key.save(path, passphrase or None, insecure_plaintext=insecure_plaintext)
    did = _config_did(settings, key)
    if as_json:
        echo_json({"key_file": str(path), "encrypted": bool(passphrase), "did": did})
        return
    click.echo(f"Wrote {path} (mode 0600{', UNENCRYPTED' if not passphrase else ''}).\nDID the config will use: {did}")


def _config_did(settings: IssuerSettings | None, key: SigningKey) -> str:
    """The issuer DID credentials will carry: did:web of [issuer].domain, else the key's did:key."""

    from connector_core.issuer.keys import did_web

    if settings is not None and settings.did_method == "web" and settings.domain:
        return did_web(settings.domain)
    return key.did_key


@keys.command("show")
@json_option
@click.pass_obj
def keys_show(app: App, as_json: bool) -> None:
    """The issuer DID and verification method (public information only)."""
    from connector_core.issuing import load_key_ring

    ring = load_key_ring(_issuer_settings(app), _base_dir(app))
    if as_json:
        echo_json({"did": ring.did, "signing_key": ring.current.public_key_multibase, "retired": list(ring.retired)})
        return
    click.echo(
        f"DID: {ring.did}\nsigning key: {ring.current.public_key_multibase}\n"
        f"retired keys: {', '.join(ring.retired) or 'none'}"
    )


@keys.command("rotate")
@json_option
@click.pass_obj
def keys_rotate(app: App, as_json: bool) -> None:
    """Make a new signing key current; the old public key stays in the DID document for verification.

    Atomic: the new key is written beside the old one and read back with the passphrase before the
    old one is archived, so a failure at any step leaves the issuer with a working key.
    """
    settings = _issuer_settings(app)
    ring = load_key_ring(settings, _base_dir(app))
    path = key_path(settings, _base_dir(app))
    passphrase = key_passphrase(settings, path)
    new = SigningKey.generate()
    staged = new.save(path.with_name(f".{path.name}.new"), passphrase)
    try:
        if SigningKey.load(staged, passphrase).public_key_multibase != new.public_key_multibase:
            raise KeyFileError(f"the new key written to {staged} does not read back; the current key is unchanged")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        archived = path.with_name(f"{path.stem}.{stamp}.retired.pem")
        shutil.copy2(path, archived)
        with retired_file(path).open("a", encoding="utf-8") as handle:
            handle.write(ring.current.public_key_multibase + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)
    if as_json:
        echo_json({"key_file": str(path), "archived": str(archived), "did": _config_did(settings, new)})
        return
    click.echo(f"New signing key in {path}; the old one is archived as {archived}.")
    if settings.did_method == "key":
        click.echo(f"With did:key the issuer DID changes to {new.did_key}; old credentials still verify.")


@keys.command("did-document")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@json_option
@click.pass_obj
def keys_did_document(app: App, out: Path | None, as_json: bool) -> None:
    """The did:web document to publish at https://<domain>/.well-known/did.json.

    It is JSON already; with --out, --json prints where it went and where to publish it.
    """
    from connector_core.issuer.keys import did_web_url
    from connector_core.issuing import load_key_ring

    settings = _issuer_settings(app)
    if settings.did_method != "web":
        raise ConfigError('did-document is for did:web: set [issuer].did_method = "web" and domain')
    ring = load_key_ring(settings, _base_dir(app))
    text = json.dumps(ring.did_document(), indent=2)
    if not out:
        click.echo(text)
        return
    out.write_text(text + "\n", encoding="utf-8")
    if as_json:
        echo_json({"out": str(out.resolve()), "did": ring.did, "publish_at": did_web_url(ring.did)})
    else:
        click.echo(f"Wrote {out}; publish it at {did_web_url(ring.did)}")


@click.group()
def credentials() -> None:
    """Issued credentials: list, show, export, revoke, reinstate."""


@credentials.command("list")
@click.option("--status", type=click.Choice(["active", "revoked"]))
@click.option("--kind", type=click.Choice(["achievement", "clr"]))
@learner_option
@click.option("--limit", default=50, show_default=True)
@json_option
@db_option
@click.pass_obj
def credentials_list(
    app: App, status: str | None, kind: str | None, learner: str | None, limit: int, as_json: bool, db: str | None
) -> None:
    """Credentials, oldest first, with the learner each was issued to."""
    from connector_core.store import credentials as cred_store
    from connector_core.store.learners import learner_names

    store = app.store(db)
    key = find_learner(store, learner) if learner else None
    rows = cred_store.list_credentials(store, status=status, kind=kind, learner=key, limit=limit)
    names = learner_names(store, {r.learner_key for r in rows})
    if as_json:
        echo_json([{**r.model_dump(exclude={"document"}), "learner": names.get(r.learner_key)} for r in rows])
        return
    if not rows:
        click.echo("No credentials.")
    for r in rows:
        click.echo(
            f"{r.id}  {r.kind:<11} {r.status:<7} {r.issued_at:%Y-%m-%d %H:%M} "
            f"{names.get(r.learner_key, r.learner_key[:12])}: {r.document.get('name', '')}"
        )


def _credential(store, credential_id: str):
    """The credential an id (or an unambiguous prefix of its uuid) names, or a clear error."""
    from connector_core.store import credentials as cred_store

    matches = cred_store.find_credentials(store, credential_id)
    if not matches:
        raise click.ClickException(f"no credential {credential_id!r}: see `lerconnect credentials list`")
    if len(matches) > 1:
        raise click.ClickException(f"{credential_id!r} is the start of several credential ids: give more of it")
    return matches[0]


@credentials.command("show")
@click.argument("credential_id")
@db_option
@json_option
@click.pass_obj
def credentials_show(app: App, credential_id: str, db: str | None, as_json: bool) -> None:
    """One credential as JSON, then its audit trail (an id prefix is enough)."""
    from connector_core.store import credentials as cred_store

    store = app.store(db)
    row = _credential(store, credential_id)
    trail = cred_store.audit_entries(store, row.id)
    if as_json:
        echo_json({"credential": row.document, "status": row.status, "audit": [e.model_dump() for e in trail]})
        return
    echo_json(row.document)
    for entry in trail:
        click.echo(f"# {entry.at:%Y-%m-%d %H:%M:%S} {entry.action}: {entry.reason}", err=True)


@credentials.command("export")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--all", "include_revoked", is_flag=True, help="Also revoked credentials.")
@click.option("--by-learner", is_flag=True, help="One folder per learner (named by institution id, else key).")
@learner_option
@db_option
@json_option
@click.pass_obj
def credentials_export(
    app: App, out: Path, include_revoked: bool, by_learner: bool, learner: str | None, db: str | None, as_json: bool
) -> None:
    """Write each credential as a JSON file and the status lists beside them, for offline checks.

    The status lists are the ones the last run published to [issuer].status_dir, so no passphrase
    is needed; only when none were published yet are they signed now.
    """
    from connector_core.issuing import published_status_dir
    from connector_core.store import credentials as cred_store
    from connector_core.store.learners import describe

    settings = _issuer_settings(app)
    store = app.store(db)
    key = find_learner(store, learner) if learner else None
    rows = cred_store.list_credentials(store, status=None if include_revoked else "active", learner=key)
    folders = {}
    if by_learner:
        people = describe(store, sorted({r.learner_key for r in rows}))
        folders = {k: _safe_name(d["institution_id"] or k) for k, d in people.items()}
    out.mkdir(parents=True, exist_ok=True)
    for row in rows:
        folder = out / folders[row.learner_key] if by_learner else out
        folder.mkdir(exist_ok=True)
        name = row.id.removeprefix("urn:uuid:")
        (folder / f"{row.kind}-{name}.json").write_text(
            json.dumps(row.document, indent=2, ensure_ascii=False), encoding="utf-8"
        )
    lists = _copy_status_lists(published_status_dir(settings, _base_dir(app)), out) or app.issuer(
        db
    ).publish_status_lists(out)
    if as_json:
        echo_json(
            {
                "out": str(out.resolve()),
                "credentials": len(rows),
                "learner_folders": len(set(folders.values())) if by_learner else None,
                "status_lists": [str(p.relative_to(out)) for p in lists],
            }
        )
        return
    hint = f"; verify with `lerconnect verify --status-dir {out} {out}/*/*.json`" if by_learner else ""
    where = f" in {plural(len(set(folders.values())), 'learner folder')}" if by_learner else ""
    click.echo(f"Wrote {plural(len(rows), 'credential')}{where} and {plural(len(lists), 'status list')} to {out}{hint}")


def _safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def _copy_status_lists(published: Path, out: Path) -> list[Path]:
    """Copy the signed status lists the runs published (any layout under status_dir) into `out`."""
    copied = []
    for path in sorted(published.rglob("*")) if published.is_dir() else []:
        if path.is_file():
            target = out / path.relative_to(published)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            copied.append(target)
    return copied


@credentials.command("revoke")
@click.argument("credential_id")
@click.option("--reason", required=True, help="Why; kept in the audit ledger.")
@db_option
@json_option
@click.pass_obj
def credentials_revoke(app: App, credential_id: str, reason: str, db: str | None, as_json: bool) -> None:
    """Revoke one credential by hand; nothing is issued for its record again until it is reinstated.

    The learner's CLR is re-issued without it at once, and the status lists are republished.
    """
    issuing = app.issuer(db)
    row = _credential(issuing.store, credential_id)
    if cred_store.revoke_by_hand(issuing.store, row.id, reason) is None:
        raise click.ClickException(f"{row.id} is already revoked")
    report = issuing.reconcile(learners={row.learner_key})
    if as_json:
        echo_json({"revoked": row.id, "kind": row.kind, "reason": reason, "issuing": report.as_dict()})
        return
    click.echo(f"Revoked {row.id}: {reason}")
    if row.kind == "achievement":
        click.echo(f"The learner's CLR was re-issued without it ({plural(report.clrs, 'CLR')} signed).")
    click.echo(f"Withheld until `lerconnect credentials reinstate {row.id} --reason …`.")


@credentials.command("reinstate")
@click.argument("credential_id")
@click.option("--reason", required=True, help="Why; kept in the audit ledger.")
@db_option
@json_option
@click.pass_obj
def credentials_reinstate(app: App, credential_id: str, reason: str, db: str | None, as_json: bool) -> None:
    """Lift a revocation by hand: the record (or CLR) is issued again, as a new credential."""
    issuing = app.issuer(db)
    row = _credential(issuing.store, credential_id)
    try:
        decision = cred_store.reinstate(issuing.store, row.id, reason)
    except cred_store.NotWithheld as exc:
        raise click.ClickException(str(exc)) from None
    report = issuing.reconcile(learners={decision.learner_key})
    if as_json:
        echo_json(
            {"reinstated": decision.subject, "revoked_stays": row.id, "reason": reason, "issuing": report.as_dict()}
        )
        return
    click.echo(
        f"Reinstated {decision.subject} ({reason}): {plural(report.issued, 'credential')} and "
        f"{plural(report.clrs, 'CLR')} issued; the revoked {row.id} stays revoked."
    )


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--status-dir",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder(s) with status list credentials (default: each file's own folder).",
)
@click.option(
    "--schema-dir",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder(s) with the 1EdTech JSON Schemas (ob_v3p0_*.json, clr_v2p0_*.json).",
)
@click.option(
    "--contexts-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Extra JSON-LD contexts (a folder with index.json), beside the built-in pinned ones.",
)
@click.option(
    "--did-document",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="DID document(s) or issuer profile(s) whose verificationMethod keys to trust (did:web, https issuers); "
    "did:key needs none.",
)
@click.option(
    "--fetch-status-lists",
    is_flag=True,
    help="GET status lists missing from --status-dir from their URLs (https; http only from loopback). "
    "Nothing else is ever fetched.",
)
@click.option(
    "--processes",
    type=click.IntRange(min=1),
    default=None,
    help="Check this many files at once (default: one per core; many files only).",
)
@json_option
def verify(
    files: tuple[Path, ...],
    processes: int | None,
    status_dir: tuple[Path, ...],
    fetch_status_lists: bool,
    schema_dir: tuple[Path, ...],
    contexts_dir: Path | None,
    did_document: tuple[Path, ...],
    as_json: bool,
) -> None:
    """Verify credential files (ours or anyone's): proof, status, validity dates, schema.

    FILES may be folders: every *.json below them is checked, on every core (`--processes`).
    Exit code 0 only if every file passes every check that could be run.
    """
    from connector_core.verify_files import VerifyOptions, credential_files, verify_files

    paths = credential_files(files)
    if not paths:
        raise click.UsageError(f"no *.json credential files in {', '.join(map(str, files))}")
    options = VerifyOptions(
        status_dirs=tuple(status_dir) or tuple(sorted({f if f.is_dir() else f.parent for f in files})),
        schema_dirs=schema_dir,
        contexts_dir=contexts_dir,
        did_documents=did_document,
        fetch_status_lists=fetch_status_lists,
    )
    report = verify_files(paths, options, processes)
    all_ok = all(item["verified"] for item in report)
    if as_json:
        echo_json(report)
    else:
        for item in report:
            click.secho(
                f"{item['file']}: {'VERIFIED' if item['verified'] else 'FAILED'}",
                fg="green" if item["verified"] else "red",
            )
            for name, passed, message in item["checks"]:
                mark = {True: "pass", False: "FAIL", None: "skip"}[passed]
                click.echo(f"  {mark:<4} {name}: {message}")
        passed = sum(item["verified"] for item in report)
        click.echo(f"{passed} verified, {len(report) - passed} failed")
    sys.exit(0 if all_ok else 1)


@hookimpl
def lerconnect_register_commands(cli: click.Group) -> None:
    cli.add_command(keys)
    cli.add_command(credentials)
    cli.add_command(verify)
