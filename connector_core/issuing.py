"""After a sync: issue what is new or changed, revoke what was replaced or withdrawn, refresh CLRs.

Everything here is reconciliation against the store's state, not a replay of events: a rerun, a
crash between signing and storing, or a record delivered twice all end in the same place, with one
live credential per record content (credential ids are derived from issuer, record and content).
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from connector_core import logs
from connector_core.config import ConfigError, IssuerSettings, Settings
from connector_core.executors.base import Executor
from connector_core.hook_contexts import DeliveryContext, IssueContext, IssuingContext, LearnerRef, RecordRef
from connector_core.hookspecs import IssuePolicyError
from connector_core.issuer import (
    Canonicalizer,
    DocumentLoader,
    IssuerError,
    KeyFileError,
    KeyRing,
    SigningKey,
    sign_many,
)
from connector_core.issuer.credentials import (
    IssuerProfile,
    RecipientPolicy,
    clr_credential,
    clr_credential_id,
    open_badge_credential,
)
from connector_core.issuer.keys import did_web
from connector_core.issuer.status import allocate_index, encode_list, list_path, status_entry, status_list_credential
from connector_core.model import Association, Learner, LearningRecord, achievement_key, association_target_key
from connector_core.store import Store, identities
from connector_core.store import credentials as cred_store
from connector_core.store import records as record_store
from connector_core.store import runs as run_store
from connector_core.store.issuer_lock import IssuerBusy, issuer_lock
from connector_core.store.tables import CredentialRow, IssueRunRow, LearnerRow, RecordRow, StatusListRow

log = logging.getLogger("lerconnect.issuing")

CLR_BATCH = 50
"""Learners whose CLRs are assembled, signed and stored together: a few queries and one transaction each."""


class IssuerSetupError(ConfigError):
    """The issuer cannot sign: no key file, no passphrase, incomplete [issuer] settings (exit code 2)."""


@dataclass
class IssueReport:
    """What one issuing pass did, or (dry run) would do; kept in run history as well."""

    issued: int = 0
    replaced: int = 0
    revoked: int = 0
    clrs: int = 0
    held: int = 0  # = held_ferpa + held_review + held_waiting
    held_ferpa: int = 0
    held_review: int = 0
    held_waiting: int = 0  # kept back until a hold-flagging stream completes a pass (`notes` says which)
    withheld: int = 0
    refused: list[str] = field(default_factory=list)
    published: list[Path] = field(default_factory=list)
    dry_run: bool = False
    status: str = "succeeded"  # succeeded, failed (could not sign: `error` says why), skipped
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    run_id: str | None = None  # of the issuing run in history

    def as_batch(self) -> dict[str, Any]:
        """What a signing task reports back to the issuing that fanned it out."""
        return {
            "status": "done",
            "issued": self.issued,
            "replaced": self.replaced,
            "revoked": self.revoked,
            "clrs": self.clrs,
            "refused": self.refused,
        }

    def absorb(self, batch: dict[str, Any]) -> None:
        """Add a signing task's counts (see `as_batch`) to this pass's."""
        for name in ("issued", "replaced", "revoked", "clrs"):
            setattr(self, name, getattr(self, name) + batch.get(name, 0))
        self.refused.extend(batch.get("refused", ()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "issued": self.issued,
            "replaced": self.replaced,
            "revoked": self.revoked,
            "clrs": self.clrs,
            "held": self.held,
            "held_ferpa": self.held_ferpa,
            "held_review": self.held_review,
            "held_waiting": self.held_waiting,
            "withheld": self.withheld,
            "refused": len(self.refused),
            "dry_run": self.dry_run,
            "error": self.error,
        }


def retired_file(key_file: Path) -> Path:
    """Public keys of rotated-out signing keys, one multibase per line (public data, not secret)."""
    return key_file.with_name(key_file.name + ".retired")


def key_path(settings: IssuerSettings, base_dir: Path) -> Path:
    """The configured key file; relative paths are relative to the config file's folder."""
    return settings.key_file if settings.key_file.is_absolute() else base_dir / settings.key_file


def key_passphrase(settings: IssuerSettings, path: Path) -> str:
    """The key's passphrase: `[issuer].passphrase` (`file:`/`${VAR}`) if set, else `passphrase_env`."""
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
    return passphrase


def load_key_ring(settings: IssuerSettings, base_dir: Path) -> KeyRing:
    """The configured signing key, decrypted with its passphrase, and the retired public keys."""
    path = key_path(settings, base_dir)
    if not path.exists():
        raise IssuerSetupError(
            f"no signing key at {path}: create one with `{settings.passphrase_env}=… lerconnect keys generate {path}`"
        )
    passphrase = key_passphrase(settings, path)
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
        executor: Executor | None = None,
        config: Settings | None = None,
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
        self.executor = executor  # several workers: batches of records (and of CLRs) are signed on them
        self.config = config  # the whole config, for `lerconnect_after_issuing` (delivery sinks)
        self.progress: Callable[[str, int, int | None], None] | None = None  # (phase, advance, total)

    def _advance(self, phase: str, count: int, total: int | None = None) -> None:
        if self.progress is not None:
            self.progress(phase, count, total)

    def reconcile(
        self,
        *,
        run_id: str | None = None,
        dry_run: bool = False,
        learners: set[str] | None = None,
        night: Sequence[str] = (),
        lock_wait: float | None = None,
    ) -> IssueReport:
        """Bring credentials in line with the stored records (of `learners`, or everyone).

        `night` is the ids of the sync runs this issuing follows: a hold pass one of them completed
        covers what the night stored (`store.credentials.hold_gate`).

        One issuer at a time per store: a second waits for the first (`lock_wait` seconds, by default
        `[issuer].lock_wait_seconds`; a web request waits less), then finds nothing left to do, or
        gives up with status "skipped". A `dry_run` runs on a rehearsal store (`Store.rehearsal`):
        the same steps, unsigned, undelivered, rolled back.
        """
        if dry_run and not self.store.rehearsing:
            raise ValueError("a dry run of issuing needs a rehearsal store (Store.rehearsal)")
        report = IssueReport(dry_run=dry_run)
        try:
            wait = self.settings.lock_wait_seconds if lock_wait is None else lock_wait
            with issuer_lock(self.store, wait=wait) as lease:
                self._reconcile(report, run_id, learners, lease, night)
        except IssuerBusy as exc:
            report.status, report.error = "skipped", f"{exc}; the next run issues what is pending"
            log.warning("issuing skipped: %s", report.error)
            return report
        finally:  # what was signed and stored is delivered, even when the pass failed later on
            self._finish_delivery(run_id, dry_run)
        log.info("issuing: %s", ", ".join(f"{k}={v}" for k, v in report.as_dict().items() if v is not None))
        return report

    def _finish_delivery(self, run_id: str | None, dry_run: bool) -> None:
        """Tell batching sinks the pass is over (`settings` None when the service has no whole config);
        like delivery itself, a failure never undoes issuing."""
        if self.hook is None or dry_run:
            return
        try:
            self.hook.lerconnect_after_issuing(context=IssuingContext(run_id, self.config, self.store))
        except Exception as exc:  # the first line only: a database error goes on to quote its parameters
            log.error("delivery after issuing failed: %s: %s", type(exc).__name__, (str(exc).splitlines() or [""])[0])

    def _reconcile(
        self, report: IssueReport, run_id: str | None, learners: set[str] | None, lease: Any, night: Sequence[str]
    ) -> None:
        now = datetime.now(UTC).replace(microsecond=0)
        with self.store.session() as session:
            holds = identities.holds(session)
            gate = cred_store.hold_gate(session, night) if self.settings.wait_for_holds else cred_store.HoldGate()
        held = set(holds)
        for credential_id, learner_key in cred_store.live_credentials_of(
            self.store, held if learners is None else held & learners
        ):
            with self.store.session() as session:  # a hold that appeared takes back what was issued
                if cred_store.revoke(session, credential_id, holds[learner_key], run_id):
                    report.revoked += 1
        for credential, reason in cred_store.credentials_to_revoke(self.store, learners):
            with self.store.session() as session:
                if cred_store.revoke(session, credential.id, reason, run_id):
                    report.revoked += 1
        statuses = self.settings.issue_statuses
        if self.progress is not None and not report.dry_run:
            self._advance("issuing", 0, cred_store.count_records_to_issue(self.store, held, statuses))
        batches = cred_store.records_to_issue(self.store, held, statuses, self.batch, gate=gate, learners=learners)
        self._issue_batches(batches, now, run_id, report, lease)
        with self.store.session() as session:
            review = {key for key, why in holds.items() if why == identities.AWAITING_REVIEW}
            backlog = cred_store.backlog(session, held, statuses, gate, review)
        report.held, report.withheld = backlog.held, backlog.withheld
        report.held_ferpa, report.held_review, report.held_waiting = backlog.ferpa, backlog.review, backlog.waiting
        if backlog.waiting:
            report.notes.append(gate.describe(backlog.waiting))
        self._refresh_clrs(held, now, run_id, report, learners)
        if not report.dry_run:
            report.published = self.publish_status_lists()

    def _fans_out(self, report: IssueReport) -> bool:
        return self.executor is not None and self.executor.workers > 1 and not report.dry_run

    def _issue_batches(
        self, batches: Iterator[list[RecordRow]], now: datetime, run_id: str | None, report: IssueReport, lease: Any
    ) -> None:
        """Sign the batches here, or one signing task per batch on the executor's workers."""
        if self._fans_out(report):
            work = [{"records": [r.id for r in rows], "run_id": run_id, "now": now.isoformat()} for rows in batches]
            self._fan_out("issue_batch", work, self.issue_records, report, lease, "issuing")
            return
        for rows in batches:
            self._issue_batch(rows, now, run_id, report)
            lease.renew()

    def _fan_out(
        self,
        task: str,
        work: list[dict[str, Any]],
        here: Callable[[dict[str, Any]], IssueReport],
        report: IssueReport,
        lease: Any,
        phase: str,
    ) -> None:
        """Sign batches on the executor's workers; this issuer keeps the store's issuer lock meanwhile."""
        assert self.executor is not None
        failed = []
        for outcome in self.executor.map(task, work, inline=lambda payload: here(payload).as_batch()):
            if outcome.get("status") == "failed":
                failed.append(str(outcome.get("error")))
                continue
            report.absorb(outcome)
            self._advance(phase, len(outcome.get("records") or outcome.get("learners") or ()) or 1)
            if lease is not None:
                lease.renew()
        if failed:
            raise IssuerError(f"{len(failed)} signing task(s) failed on the workers, the first: {failed[0]}")

    def issue_records(self, work: dict[str, Any]) -> IssueReport:
        """One signing task: the records named (those still without a live credential), signed and stored.

        Safe to run twice, even at once: credential ids follow from the record, so the second
        delivery finds them stored (or loses the insert, and then finds them), and signs nothing.
        """
        for attempt in range(2):
            report = IssueReport()
            rows = cred_store.records_still_to_issue(self.store, work["records"], self.settings.issue_statuses)
            try:
                if rows:
                    self._issue_batch(rows, datetime.fromisoformat(work["now"]), work["run_id"], report)
                return report
            except IntegrityError:
                if attempt:
                    raise
        return report

    def refresh_learners(self, work: dict[str, Any]) -> IssueReport:
        """One CLR task: the named learners' CLRs brought in line with their live credentials."""
        for attempt in range(2):
            report = IssueReport()
            with self.store.session() as session:
                held = set(identities.holds(session))
            try:
                self._refresh_here(
                    held, datetime.fromisoformat(work["now"]), work["run_id"], report, set(work["learners"])
                )
                return report
            except IntegrityError:
                if attempt:
                    raise
        return report

    def _drafts(self, rows: list[RecordRow], now: datetime) -> list[tuple[RecordRow, dict | str]]:
        """Each row's unsigned credential, or why it cannot have one (e.g. the privacy policy leaves
        the learner no recipient identifier): one such record is refused, not the whole run."""
        with self.store.session() as session:
            revisions = cred_store.issue_numbers(session, rows)
        people = record_store.learners(self.store, {row.learner_key for row in rows})
        drafts: list[tuple[RecordRow, dict | str]] = []
        for row in rows:
            record = _keyed(LearningRecord.model_validate(row.data), row.source)
            try:
                draft: dict | str = open_badge_credential(
                    record,
                    self.profile,
                    issued_at=now,
                    record_key=f"{row.source}:{row.stream}:{row.source_record_id}",
                    revision=revisions[row.id],
                    policy=self.policy,
                    learner=_learner(people[row.learner_key]),
                )
            except IssuerError as exc:
                draft = str(exc)
            drafts.append((row, draft))
        return drafts

    def _with_status(self, drafts: list[dict]) -> list[tuple[StatusListRow, int]]:
        """Reserve one status entry per draft that will be signed and kept, never more."""
        reserved = cred_store.reserve(self.store, self.settings.status_base_url, len(drafts)) if drafts else []
        out = []
        for draft, (status_list, counter) in zip(drafts, reserved, strict=True):
            index = allocate_index(bytes.fromhex(status_list.seed), counter, status_list.size)
            draft["credentialStatus"] = status_entry(status_list.url, index)
            out.append((status_list, index))
        return out

    def _sign(self, drafts: list[dict], now: datetime, dry_run: bool) -> list[dict]:
        if dry_run:  # what would be signed, exactly; the rehearsal is rolled back
            return drafts
        return sign_many(drafts, self.signer, created=now, canonicalizer=self.canonicalizer)

    def _policy(self, draft: dict, context: IssueContext) -> str | None:
        if self.hook is None:
            return None
        try:
            self.hook.lerconnect_before_issue(draft=draft, context=context)
        except IssuePolicyError as exc:
            return str(exc)
        return None

    def _issue_batch(self, rows: list[RecordRow], now: datetime, run_id: str | None, report: IssueReport) -> None:
        allowed = []
        contexts = {row.id: _record_context(row, run_id) for row in rows}
        for row, draft in self._drafts(rows, now):
            refusal = draft if isinstance(draft, str) else self._policy(draft, contexts[row.id])
            if refusal:
                report.refused.append(f"record {row.id}: {refusal}")
                log.warning("issuing refused by policy for record %s: %s", row.id, refusal)
                continue
            allowed.append((row, draft))
        with self.store.session() as session:  # ids already stored would be thrown away: never sign them
            known = cred_store.known_ids(session, [d["id"] for _, d in allowed])
        allowed = [(row, draft) for row, draft in allowed if draft["id"] not in known]
        entries = self._with_status([d for _, d in allowed])
        signed = self._sign([d for _, d in allowed], now, report.dry_run)
        stored: list[tuple[dict, DeliveryContext]] = []
        with self.store.session() as session:
            batch: list[tuple[CredentialRow, str]] = []
            for (row, _), document, (status_list, index) in zip(allowed, signed, entries, strict=True):
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
        self._deliver(stored, report.dry_run)
        self._advance("issuing", len(rows))

    def _refresh_clrs(
        self, held: set[str], now: datetime, run_id: str | None, report: IssueReport, learners: set[str] | None
    ) -> None:
        if self._fans_out(report):  # one CLR task per batch of learners, on the workers
            keys = [c.learner.key for c in cred_store.learners_with_credentials(self.store, held, learners)]
            work = [
                {"learners": keys[i : i + self.batch], "run_id": run_id, "now": now.isoformat()}
                for i in range(0, len(keys), self.batch)
            ]
            self._fan_out("refresh_clrs", work, self.refresh_learners, report, None, "CLRs")
        else:
            self._refresh_here(held, now, run_id, report, learners)

    def _refresh_here(
        self, held: set[str], now: datetime, run_id: str | None, report: IssueReport, learners: set[str] | None
    ) -> None:
        changed: list[tuple[cred_store.LearnerCredentials, str]] = []
        for learner in cred_store.learners_with_credentials(self.store, held, learners):
            self._advance("CLRs", 1)
            if not learner.achievement_ids or learner.clr_withheld:
                if learner.clr_id is not None:
                    reason = "no live achievement credentials left" if not learner.achievement_ids else "withheld"
                    with self.store.session() as session:
                        report.revoked += cred_store.revoke(session, learner.clr_id, reason, run_id) is not None
                continue
            embeds = cred_store.embeds_digest(learner.achievement_ids)
            if learner.clr_id is not None and self._unchanged(learner, embeds):
                continue  # unchanged: no need to load or sign anything
            changed.append((learner, embeds))
            if len(changed) == CLR_BATCH:
                self._issue_clrs(changed, now, run_id, report)
                changed = []
        if changed:
            self._issue_clrs(changed, now, run_id, report)

    def _unchanged(self, learner: cred_store.LearnerCredentials, embeds: str) -> bool:
        if learner.clr_embeds is not None:
            return learner.clr_embeds == embeds
        return learner.clr_id == clr_credential_id(self.profile, learner.learner.key, learner.achievement_ids)

    def _issue_clrs(
        self,
        batch: list[tuple[cred_store.LearnerCredentials, str]],
        now: datetime,
        run_id: str | None,
        report: IssueReport,
    ) -> None:
        """New CLRs for a batch of learners (each with the digest of what it embeds): their credentials,
        records and related definitions read in a few queries, signed in one call, stored in one transaction."""
        ids = [credential_id for learner, _ in batch for credential_id in learner.achievement_ids]
        documents = dict(zip(ids, cred_store.documents(self.store, ids), strict=True))
        records = {
            credential_id: _keyed(LearningRecord.model_validate(row.data), row.source)
            for credential_id, row in cred_store.records_by_credential(self.store, ids).items()
        }
        targets = {a.target_key for r in records.values() for a in r.achievement.associations}
        related = record_store.achievements(self.store, targets)
        with self.store.session() as session:
            revisions = cred_store.clr_numbers(session, [learner.learner.key for learner, _ in batch])
        drafts: list[tuple[cred_store.LearnerCredentials, str, dict, IssueContext]] = []
        for learner, embeds in batch:
            draft = clr_credential(
                _learner(learner.learner),
                [documents[i] for i in learner.achievement_ids],
                [records[i] for i in learner.achievement_ids if i in records],
                self.profile,
                issued_at=now,
                related=related,
                policy=self.policy,
                revision=revisions[learner.learner.key],
            )
            who = LearnerRef(learner.learner.key, email=learner.learner.email)
            context = IssueContext(kind="clr", learner=who, run_id=run_id)
            refusal = self._policy(draft, context)
            if refusal:
                report.refused.append(f"CLR of {learner.learner.key}: {refusal}")
                continue
            drafts.append((learner, embeds, draft, context))
        if not drafts:
            return
        entries = self._with_status([draft for _, _, draft, _ in drafts])
        signed = self._sign([draft for _, _, draft, _ in drafts], now, report.dry_run)
        delivered = []
        with self.store.session() as session:
            rows = []
            for (learner, embeds, _, context), document, (status_list, index) in zip(
                drafts, signed, entries, strict=True
            ):
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
                    embeds=embeds,
                )
                rows.append((credential, "learner's records changed"))
                delivered.append((document, context.delivered(old)))
            report.clrs += len(cred_store.add_credentials(session, rows))
        self._deliver(delivered, report.dry_run)

    def _deliver(self, signed: list[tuple[dict, DeliveryContext]], dry_run: bool) -> None:
        if self.hook is None or dry_run:
            return
        for document, context in signed:
            try:
                self.hook.lerconnect_after_issue(credential=document, context=context)
            except Exception as exc:  # delivery problems never undo issuing
                log.error("delivery of %s failed: %s: %s", document.get("id"), type(exc).__name__, exc)

    def status_list_documents(self, rows: list[StatusListRow] | None = None) -> list[dict]:
        """Status lists (every one, or `rows`) as signed BitstringStatusListCredentials."""
        now = datetime.now(UTC).replace(microsecond=0)
        drafts = [
            status_list_credential(
                row.url, self.profile.id, encode_list(row.bits), now.strftime("%Y-%m-%dT%H:%M:%SZ"), purpose=row.purpose
            )
            for row in (cred_store.status_lists(self.store) if rows is None else rows)
        ]
        return sign_many(drafts, self.signer, created=now, canonicalizer=self.canonicalizer) if drafts else []

    def publish_status_lists(self, folder: Path | None = None) -> list[Path]:
        """Write each list credential at the path its URL names below status_base_url (`<base>/1` ->
        `<folder>/1`), so a static web server serving the folder at that URL answers every credential.

        Into `[issuer].status_dir` only lists whose bits changed (or whose file is missing) are
        signed and written again; a `folder` (an export) gets every list.
        """
        target = folder or published_status_dir(self.settings, self.base_dir)
        target.mkdir(parents=True, exist_ok=True)
        rows = cred_store.status_lists(self.store)
        if folder is None:
            current = {row.id: row for row in cred_store.unpublished(self.store)}
            base = self.settings.status_base_url
            rows = [row for row in rows if row.id in current or not list_path(target, base, row.url).exists()]
        written = []
        for document in self.status_list_documents(rows):
            path = list_path(target, self.settings.status_base_url, document["id"])
            path.parent.mkdir(parents=True, exist_ok=True)
            staged = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")  # readers (`serve`) never see half a list
            staged.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
            os.replace(staged, path)
            written.append(path)
        if folder is None:
            cred_store.mark_published(self.store, {row.id: cred_store.bits_digest(row.bits) for row in rows})
        return written


def published_status_dir(settings: IssuerSettings, base_dir: Path) -> Path:
    """Where every run writes the signed status lists (`[issuer].status_dir`, relative to the config)."""
    return settings.status_dir if settings.status_dir.is_absolute() else base_dir / settings.status_dir


def _record_context(row: RecordRow, run_id: str | None) -> IssueContext:
    """The hook context of an achievement credential: the record's learner and provenance."""
    learner = LearnerRef(row.learner_key, email=(row.data.get("learner") or {}).get("email"))
    record = RecordRef(row.id, row.source, row.stream, row.source_record_id)
    return IssueContext(kind="achievement", learner=learner, record=record, run_id=run_id)


def _ended_reason(session: Any, row: RecordRow) -> str:
    old = session.get(RecordRow, row.replaces_id) if row.replaces_id else None
    return (old.ended_reason if old is not None else None) or "record changed at the source"


def issue_after(
    store: Store,
    settings: Settings,
    hook: Any = None,
    *,
    run_ids: list[str] | tuple[str, ...] = (),
    dry_run: bool = False,
    progress: Callable[[str, int, int | None], None] | None = None,
    executor: Executor | None = None,
) -> IssueReport | None:
    """The issuing step of a night, after its syncs: reconcile, and keep the outcome in run history.

    A night that could not sign (no key, wrong or unset passphrase, a signing error) is recorded
    as issuing "failed" with the reason, beside the sync runs, never as a success. None when the
    config has no `[issuer]` (records only).
    """
    if settings.issuer is None:
        return None
    outcome = IssueRunRow(id=uuid.uuid4().hex, status="running", dry_run=dry_run)
    try:
        service = service_for(store, settings, hook, executor)
        service.progress = progress
        report = service.reconcile(run_id=run_ids[0] if run_ids else None, dry_run=dry_run, night=run_ids)
    except (IssuerSetupError, IssuerError, KeyFileError) as exc:
        report = IssueReport(dry_run=dry_run, status="failed", error=str(exc).strip("'\""))
    except Exception as exc:
        report = IssueReport(dry_run=dry_run, status="failed", error=f"{type(exc).__name__}: {exc}")
        log.error("issuing failed: %s", report.error, exc_info=True)
    counts = {k: v for k, v in report.as_dict().items() if k in IssueRunRow.model_fields and k != "dry_run"}
    outcome.sqlmodel_update({**counts, "details": report.refused + report.notes, "finished_at": datetime.now(UTC)})
    run_store.record_issuing(store, outcome, list(run_ids))
    report.run_id = outcome.id
    return report


def service_for(
    store: Store, settings: Settings, hook: Any = None, executor: Executor | None = None
) -> IssuingService | None:
    """The issuing service of a config, or None when it has no `[issuer]` (records only)."""
    if settings.issuer is None:
        return None
    settings.require("issuer")
    base = settings.path.parent if settings.path else Path.cwd()
    ring = load_key_ring(settings.issuer, base)
    return IssuingService(
        store,
        settings.issuer,
        ring,
        hook=hook,
        base_dir=base,
        batch=settings.engine.issue_batch,
        executor=executor,
        config=settings,  # the whole config: delivery reads [delivery] and [serve] from it after the pass
    )
