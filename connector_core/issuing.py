"""After a sync: issue what is new or changed, revoke what was replaced or withdrawn, refresh CLRs.

Everything here is reconciliation against the store's state, not a replay of events: a rerun, a
crash between signing and storing, or a record delivered twice all end in the same place, with one
live credential per record content (credential ids are derived from issuer, record and content).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connector_core import logs
from connector_core.config import IssuerSettings, Settings
from connector_core.hook_contexts import DeliveryContext, IssueContext, LearnerRef, RecordRef
from connector_core.hookspecs import IssuePolicyError
from connector_core.issuer import Canonicalizer, DocumentLoader, IssuerError, KeyRing, SigningKey, sign_many
from connector_core.issuer.credentials import (
    IssuerProfile,
    RecipientPolicy,
    clr_credential,
    clr_credential_id,
    open_badge_credential,
)
from connector_core.issuer.keys import did_web
from connector_core.issuer.status import allocate_index, encode_list, status_entry, status_list_credential
from connector_core.model import Association, Learner, LearningRecord, achievement_key, association_target_key
from connector_core.store import Store, identities
from connector_core.store import credentials as cred_store
from connector_core.store import records as record_store
from connector_core.store.tables import CredentialRow, LearnerRow, RecordRow, StatusListRow

log = logging.getLogger("lerconnect.issuing")


class IssuerSetupError(Exception):
    """The issuer cannot sign: no key, wrong passphrase, incomplete [issuer] settings."""


@dataclass
class IssueReport:
    issued: int = 0
    replaced: int = 0
    revoked: int = 0
    clrs: int = 0
    held: int = 0
    refused: list[str] = field(default_factory=list)
    published: list[Path] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "issued": self.issued,
            "replaced": self.replaced,
            "revoked": self.revoked,
            "clrs": self.clrs,
            "held": self.held,
            "refused": len(self.refused),
            "dry_run": self.dry_run,
        }


def retired_file(key_file: Path) -> Path:
    """Public keys of rotated-out signing keys, one multibase per line (public data, not secret)."""
    return key_file.with_name(key_file.name + ".retired")


def load_key_ring(settings: IssuerSettings, base_dir: Path) -> KeyRing:
    """The configured signing key, decrypted with the passphrase from its environment variable."""
    path = settings.key_file if settings.key_file.is_absolute() else base_dir / settings.key_file
    if not path.exists():
        raise IssuerSetupError(
            f"no signing key at {path}: create one with `{settings.passphrase_env}=… lerconnect keys generate {path}`"
        )
    if settings.passphrase is not None:
        passphrase = settings.passphrase.get_secret_value()
    else:
        passphrase = os.environ.get(settings.passphrase_env)
    if not passphrase:
        raise IssuerSetupError(
            f"{settings.passphrase_env} is not set: export the passphrase of {path} in it "
            f'(or set [issuer].passphrase_env to the variable that holds it, or passphrase = "file:/path")'
        )
    logs.register_secret(passphrase)
    key = SigningKey.load(path, passphrase)
    retired = retired_file(path)
    old = retired.read_text().split() if retired.exists() else []
    if settings.did_method == "web":
        if not settings.domain:
            raise IssuerSetupError(
                '[issuer].did_method is "web" but [issuer].domain is not set: add domain = "registrar.example.edu"'
            )
        return KeyRing(did_web(settings.domain), key, old)
    return KeyRing(key.did_key, key, old)


def contexts_canonicalizer(contexts_dir: Path | None, base_dir: Path) -> Canonicalizer | None:
    """A canonicalizer that also serves the operator's contexts (an index.json folder), or None."""
    if contexts_dir is None:
        return None
    folder = contexts_dir if contexts_dir.is_absolute() else base_dir / contexts_dir
    return Canonicalizer(DocumentLoader(extra_dir=folder))


def _keyed(record: LearningRecord, source: str) -> LearningRecord:
    """The record with its achievement (and association targets) under the store's keys: by catalog
    key where the plugin gave one, else per source, so credential ids match the store and never collide."""
    achievement = record.achievement.model_copy(
        update={
            "key": achievement_key(source, record.achievement),
            "associations": tuple(
                Association(association_type=a.association_type, target_key=association_target_key(source, a))
                for a in record.achievement.associations
            ),
        }
    )
    return record.model_copy(update={"achievement": achievement})


def _learner(row: LearnerRow) -> Learner:
    return Learner(
        source_id=row.key,
        institution_id=row.institution_id,
        email=row.email,
        given_name=row.given_name,
        family_name=row.family_name,
    )


class IssuingService:
    """Signs and revokes for one issuer against one store."""

    def __init__(
        self,
        store: Store,
        settings: IssuerSettings,
        ring: KeyRing,
        *,
        hook: Any = None,
        base_dir: Path | None = None,
        batch: int = 500,
    ) -> None:
        self.store = store
        self.settings = settings
        self.ring = ring
        self.signer = ring.signer if settings.did_method == "web" else ring.current
        self.profile = IssuerProfile(id=ring.did, name=settings.name, url=settings.url, email=settings.email)
        privacy = settings.privacy
        self.policy = RecipientPolicy(privacy.show_name, privacy.identifiers, privacy.all_identifiers)
        self.hook = hook
        self.base_dir = base_dir or Path.cwd()
        self.canonicalizer = contexts_canonicalizer(settings.contexts_dir, self.base_dir)
        self.batch = batch

    def reconcile(self, *, run_id: str | None = None, dry_run: bool = False) -> IssueReport:
        """Bring credentials in line with the stored records. `dry_run` counts, signs and writes nothing."""
        report = IssueReport(dry_run=dry_run)
        now = datetime.now(UTC).replace(microsecond=0)
        with self.store.session() as session:
            held = set(identities.holds(session))
        for credential, reason in cred_store.credentials_to_revoke(self.store):
            report.revoked += 1
            if not dry_run:
                with self.store.session() as session:
                    cred_store.revoke(session, credential.id, reason, run_id)
        for rows in cred_store.records_to_issue(self.store, held, self.settings.issue_statuses, self.batch):
            if dry_run:
                report.issued += len(rows)
                continue
            self._issue_batch(rows, now, run_id, report)
        with self.store.session() as session:
            report.held = cred_store.count_held_records(session, held)
        if not dry_run:
            self._refresh_clrs(held, now, run_id, report)
            report.published = self.publish_status_lists()
        log.info("issuing: %s", ", ".join(f"{k}={v}" for k, v in report.as_dict().items()))
        return report

    def _drafts(
        self, rows: list[RecordRow], entries: Iterable[dict], now: datetime
    ) -> list[tuple[RecordRow, dict | str]]:
        """Each row's unsigned credential, or why it cannot have one (e.g. the privacy policy leaves
        the learner no recipient identifier): one such record is refused, not the whole run."""
        drafts: list[tuple[RecordRow, dict | str]] = []
        people = record_store.learners(self.store, {row.learner_key for row in rows})
        for row, entry in zip(rows, entries, strict=True):
            record = _keyed(LearningRecord.model_validate(row.data), row.source)
            try:
                draft: dict | str = open_badge_credential(
                    record,
                    self.profile,
                    issued_at=now,
                    record_key=f"{row.source}:{row.stream}:{row.source_record_id}",
                    credential_status=entry,
                    policy=self.policy,
                    learner=_learner(people[row.learner_key]),
                )
            except IssuerError as exc:
                draft = str(exc)
            drafts.append((row, draft))
        return drafts

    def _entries(self, count: int) -> list[tuple[StatusListRow, int, dict]]:
        reserved = cred_store.reserve(self.store, self.settings.status_base_url, count)
        out = []
        for status_list, counter in reserved:
            index = allocate_index(bytes.fromhex(status_list.seed), counter, status_list.size)
            out.append((status_list, index, status_entry(status_list.url, index)))
        return out

    def _policy(self, draft: dict, context: IssueContext) -> str | None:
        if self.hook is None:
            return None
        try:
            self.hook.lerconnect_before_issue(draft=draft, context=context)
        except IssuePolicyError as exc:
            return str(exc)
        return None

    def _issue_batch(self, rows: list[RecordRow], now: datetime, run_id: str | None, report: IssueReport) -> None:
        entries = self._entries(len(rows))
        allowed, kept_entries = [], []
        contexts = {row.id: _record_context(row, run_id) for row in rows}
        for (row, draft), entry in zip(self._drafts(rows, (e[2] for e in entries), now), entries, strict=True):
            refusal = draft if isinstance(draft, str) else self._policy(draft, contexts[row.id])
            if refusal:
                report.refused.append(f"record {row.id}: {refusal}")
                log.warning("issuing refused by policy for record %s: %s", row.id, refusal)
                continue
            allowed.append((row, draft))
            kept_entries.append(entry)
        signed = sign_many([d for _, d in allowed], self.signer, created=now, canonicalizer=self.canonicalizer)
        stored: list[tuple[dict, DeliveryContext]] = []
        with self.store.session() as session:
            batch: list[tuple[CredentialRow, str]] = []
            for (row, _), document, (status_list, index, _) in zip(allowed, signed, kept_entries, strict=True):
                replaces = cred_store.replaced_credential(session, row)
                credential = CredentialRow(
                    id=document["id"],
                    kind="achievement",
                    learner_key=row.learner_key,
                    record_id=row.id,
                    status_list_id=status_list.id,
                    status_index=index,
                    replaces=replaces,
                    document=document,
                    issued_run_id=run_id,
                )
                reason = f"replaces {replaces}: {_ended_reason(session, row)}" if replaces else "new record"
                batch.append((credential, reason))
            for credential in cred_store.add_credentials(session, batch):
                stored.append((credential.document, contexts[credential.record_id].delivered(credential.replaces)))
                report.replaced += bool(credential.replaces)
                report.issued += 1
        self._deliver(stored)

    def _refresh_clrs(self, held: set[str], now: datetime, run_id: str | None, report: IssueReport) -> None:
        for learner in cred_store.learners_with_credentials(self.store, held):
            if not learner.achievement_ids:
                if learner.clr_id is not None:
                    with self.store.session() as session:
                        cred_store.revoke(session, learner.clr_id, "no live achievement credentials left", run_id)
                    report.revoked += 1
                continue
            expected = clr_credential_id(self.profile, learner.learner.key, learner.achievement_ids)
            if learner.clr_id == expected:
                continue  # unchanged: no need to load or sign anything
            documents = cred_store.documents(self.store, learner.achievement_ids)
            records = [
                _keyed(LearningRecord.model_validate(r.data), r.source)
                for r in cred_store.records_by_credential(self.store, learner.achievement_ids)
            ]
            targets = {a.target_key for r in records for a in r.achievement.associations}
            draft = clr_credential(
                _learner(learner.learner),
                documents,
                records,
                self.profile,
                issued_at=now,
                related=record_store.achievements(self.store, targets),
                policy=self.policy,
            )
            who = LearnerRef(learner.learner.key, email=learner.learner.email)
            context = IssueContext(kind="clr", learner=who, run_id=run_id)
            refusal = self._policy(draft, context)
            if refusal:
                report.refused.append(f"CLR of {learner.learner.key}: {refusal}")
                continue
            ((status_list, index, entry),) = self._entries(1)
            draft["credentialStatus"] = entry
            (document,) = sign_many([draft], self.signer, created=now, canonicalizer=self.canonicalizer)
            with self.store.session() as session:
                old = learner.clr_id
                if old:
                    cred_store.revoke(session, old, "replaced by a newer CLR", run_id)
                credential = CredentialRow(
                    id=document["id"],
                    kind="clr",
                    learner_key=learner.learner.key,
                    status_list_id=status_list.id,
                    status_index=index,
                    replaces=old,
                    document=document,
                    issued_run_id=run_id,
                )
                report.clrs += len(cred_store.add_credentials(session, [(credential, "learner's records changed")]))
            self._deliver([(document, context.delivered(credential.replaces))])

    def _deliver(self, signed: list[tuple[dict, DeliveryContext]]) -> None:
        if self.hook is None:
            return
        for document, context in signed:
            try:
                self.hook.lerconnect_after_issue(credential=document, context=context)
            except Exception as exc:  # delivery problems never undo issuing
                log.error("delivery of %s failed: %s: %s", document.get("id"), type(exc).__name__, exc)

    def status_list_documents(self) -> list[dict]:
        """Every status list as a signed BitstringStatusListCredential."""
        now = datetime.now(UTC).replace(microsecond=0)
        drafts = [
            status_list_credential(
                row.url, self.profile.id, encode_list(row.bits), now.strftime("%Y-%m-%dT%H:%M:%SZ"), purpose=row.purpose
            )
            for row in cred_store.status_lists(self.store)
        ]
        return sign_many(drafts, self.signer, created=now, canonicalizer=self.canonicalizer) if drafts else []

    def publish_status_lists(self, folder: Path | None = None) -> list[Path]:
        """Write each list credential as `<folder>/<last URL segment>.json`, for a web server to serve."""
        target = folder or (
            self.settings.status_dir
            if self.settings.status_dir.is_absolute()
            else self.base_dir / self.settings.status_dir
        )
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for document in self.status_list_documents():
            path = target / f"status-list-{document['id'].rstrip('/').rsplit('/', 1)[-1]}.json"
            path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
            written.append(path)
        return written


def _record_context(row: RecordRow, run_id: str | None) -> IssueContext:
    """The hook context of an achievement credential: the record's learner and provenance."""
    learner = LearnerRef(row.learner_key, email=(row.data.get("learner") or {}).get("email"))
    record = RecordRef(row.id, row.source, row.stream, row.source_record_id)
    return IssueContext(kind="achievement", learner=learner, record=record, run_id=run_id)


def _ended_reason(session: Any, row: RecordRow) -> str:
    old = session.get(RecordRow, row.replaces_id) if row.replaces_id else None
    return (old.ended_reason if old is not None else None) or "record changed at the source"


def service_for(store: Store, settings: Settings, hook: Any = None) -> IssuingService | None:
    """The issuing service of a config, or None when it has no `[issuer]` (records only)."""
    if settings.issuer is None:
        return None
    base = settings.path.parent if settings.path else Path.cwd()
    return IssuingService(store, settings.issuer, load_key_ring(settings.issuer, base), hook=hook, base_dir=base)
