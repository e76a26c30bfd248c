"""Claim links after a night: one per learner (not per credential), by email through a loopback SMTP
server with STARTTLS, or as CSV; only hashes are stored; failures stay queued and go out later."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from claim_kit import claim_rows, delivery_campus, issue, sync_and_issue
from sqlalchemy import select

from connector_core.config import ConfigError, SmtpSettings
from connector_core.delivery.outbox import flush
from connector_core.store.tables import ClaimLinkRow
from connector_core.testing.smtp import loopback_smtp

pytest.importorskip("aiosmtpd", reason="aiosmtpd (the test extra) runs the loopback SMTP server")

PASSWORD = "smtp-secret-for-tests"


@pytest.fixture
def smtp_server(tmp_path: Path):
    with loopback_smtp(tmp_path, login=("registrar", PASSWORD)) as inbox:
        yield inbox, inbox.port, inbox.ca_file


def _smtp(port: int, cert: Path, **extra) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1",
        port=port,
        security="starttls",
        username="registrar",
        password=PASSWORD,
        ca_file=cert,
        sender="Registrar <registrar@test.example.edu>",
        **extra,
    )


def test_one_email_per_learner_over_starttls_with_a_link_that_carries_no_personal_data(
    tmp_path: Path, store, monkeypatch, smtp_server
) -> None:
    inbox, port, cert = smtp_server
    campus = delivery_campus(tmp_path, store, monkeypatch, sink="email", smtp=_smtp(port, cert))
    sync_and_issue(campus)
    assert sorted(e[0] for e in inbox.envelopes) == [f"s{i}@example.edu" for i in range(4)]
    message = next(m for m in inbox.messages if "s1@example.edu" in m["To"])
    body = message.get_payload(decode=True).decode()
    assert message["Subject"] == "Your records from Test University are ready to claim"
    assert "Course 1" in body and "Course 5" in body  # S1 has enrolments 1 and 5, and a CLR
    (url,) = [w for w in body.split() if w.startswith("http://127.0.0.1:8080/claim/")]
    token = url.rsplit("/", 1)[1]
    assert len(token) >= 43 and "s1" not in url.lower() and "@" not in url
    with store.session() as session:
        hashes_kept = list(session.scalars(select(ClaimLinkRow.token_hash)))
    assert len(hashes_kept) == 4 and token not in "".join(hashes_kept)
    issue(campus)  # the next night, nothing new: no message
    assert len(inbox.messages) == 4


def test_a_changed_grade_sends_one_message_to_that_learner_only(
    tmp_path: Path, store, monkeypatch, smtp_server
) -> None:
    inbox, port, cert = smtp_server
    campus = delivery_campus(tmp_path, store, monkeypatch, sink="email", smtp=_smtp(port, cert))
    sync_and_issue(campus)
    campus.rows[2]["grade"] = "A"
    campus.write()
    sync_and_issue(campus)
    assert [e for e in inbox.envelopes[4:]] == [["s2@example.edu"]]
    body = inbox.messages[-1].get_payload(decode=True).decode()
    assert "2 new or updated records" in body and "Course 2" in body  # the new course credential and the CLR


def test_a_mail_server_that_is_down_keeps_the_links_queued_until_it_is_back(
    tmp_path: Path, store, monkeypatch, smtp_server
) -> None:
    inbox, port, cert = smtp_server
    campus = delivery_campus(tmp_path, store, monkeypatch, sink="email", smtp=_smtp(1, cert))
    sync_and_issue(campus)
    assert inbox.messages == []
    with store.session() as session:
        errors = list(session.scalars(select(ClaimLinkRow.error)))
    assert len(errors) == 4 and all("cannot reach the mail server 127.0.0.1:1" in e for e in errors)
    campus.settings.delivery.smtp = _smtp(port, cert)
    report = flush(store, campus.settings)
    assert (report.learners, report.sent, report.failed) == (4, 4, {})
    assert len(inbox.messages) == 4


def test_tls_is_verified_a_server_with_an_untrusted_certificate_gets_nothing(
    tmp_path: Path, store, monkeypatch, smtp_server
) -> None:
    inbox, port, _cert = smtp_server
    campus = delivery_campus(tmp_path, store, monkeypatch, sink="email", smtp=_smtp(port, None))
    sync_and_issue(campus)
    assert inbox.messages == []
    with store.session() as session:
        assert all("CERTIFICATE_VERIFY_FAILED" in e for e in session.scalars(select(ClaimLinkRow.error)))


def test_a_campus_template_is_used_and_plain_smtp_is_refused_beyond_loopback(tmp_path: Path, smtp_server) -> None:
    _inbox, port, cert = smtp_server
    template = tmp_path / "mail.txt.j2"
    template.write_text("Dear {{ given_name or 'student' }}: {{ claim_url }} ({{ count }})\n")
    from connector_core.delivery.mail import Mailer
    from connector_core.delivery.notices import ClaimNotice

    mailer = Mailer(_smtp(port, cert, template=template), "Test University", tmp_path)
    notice = ClaimNotice("k", "a@example.edu", "Ada", "L", "https://x/claim/t", dt.datetime.now(dt.UTC), ("C",))
    assert mailer.message(notice).get_content() == "Dear Ada: https://x/claim/t (1)\n"
    with pytest.raises(ConfigError, match=r'security = "none" sends mail in clear to smtp\.example\.edu'):
        Mailer(SmtpSettings(host="smtp.example.edu", security="none", sender="r@example.edu"), "U", tmp_path)


def test_csv_sink_writes_one_private_row_per_learner(tmp_path: Path, store, monkeypatch) -> None:
    campus = delivery_campus(tmp_path, store, monkeypatch)
    sync_and_issue(campus)
    (path,) = (tmp_path / "claims").glob("claims-*.csv")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = claim_rows(tmp_path / "claims")
    assert sorted(r["email"] for r in rows) == [f"s{i}@example.edu" for i in range(4)]
    assert all(r["claim_url"].startswith("http://127.0.0.1:8080/claim/") for r in rows)
    assert all(r["credentials"].count(";") == 2 for r in rows)  # two courses and the CLR each
    assert flush(store, campus.settings).learners == 0  # sent is sent


def test_a_flush_goes_a_batch_of_learners_at_a_time_into_one_sheet(tmp_path: Path, store, monkeypatch) -> None:
    """A campus's night is announced 500 learners at a time (here 3: batches of 3 and 1), one CSV file."""
    from connector_core.delivery import outbox

    monkeypatch.setattr(outbox, "LEARNERS_PER_BATCH", 3)
    campus = delivery_campus(tmp_path, store, monkeypatch)
    sync_and_issue(campus)
    (path,) = (tmp_path / "claims").glob("claims-*.csv")
    lines = path.read_text().splitlines()
    assert len(lines) == 5 and [line.startswith("learner_key,") for line in lines] == [True] + [False] * 4
    assert sorted(r["email"] for r in claim_rows(tmp_path / "claims")) == [f"s{i}@example.edu" for i in range(4)]
    with store.session() as session:
        assert [link.sent_at is not None for link in session.scalars(select(ClaimLinkRow))] == [True] * 4


def test_emails_go_a_batch_of_learners_at_a_time(tmp_path: Path, store, monkeypatch, smtp_server) -> None:
    from connector_core.delivery import outbox

    monkeypatch.setattr(outbox, "LEARNERS_PER_BATCH", 3)
    inbox, port, cert = smtp_server
    campus = delivery_campus(tmp_path, store, monkeypatch, sink="email", smtp=_smtp(port, cert))
    sync_and_issue(campus)
    assert sorted(e[0] for e in inbox.envelopes) == [f"s{i}@example.edu" for i in range(4)]
    assert flush(store, campus.settings).learners == 0  # every batch's links were marked sent


def test_a_nightly_pipeline_run_sends_the_claim_links(tmp_path: Path, store, monkeypatch) -> None:
    """`lerconnect sync`, `run` and the demo issue through `Pipeline`: its issuer must hand the whole
    config to the after-issuing step, or [delivery] is never read (it once was not)."""
    from connector_core.pipeline import Pipeline

    campus = delivery_campus(tmp_path, store, monkeypatch)
    night = Pipeline(campus.store, campus.registry, campus.settings).run()
    assert night.succeeded and night.issuing.issued > 0
    rows = claim_rows(tmp_path / "claims")
    assert sorted(r["email"] for r in rows) == [f"s{i}@example.edu" for i in range(4)]


def test_claims_export_and_renew_from_the_command_line(tmp_path: Path, store, monkeypatch) -> None:
    from click.testing import CliRunner

    from connector_core.cli import cli

    campus = delivery_campus(tmp_path, store, monkeypatch, sink="none")
    sync_and_issue(campus)
    config = tmp_path / "lerconnect.toml"
    config.write_text(
        f'[store]\nurl = "{store.url}"\n[delivery]\nsink = "email"\n[delivery.smtp]\nhost = "127.0.0.1"\nport = 1\n'
        'sender = "r@example.edu"\n'
    )
    runner = CliRunner()
    out = tmp_path / "export" / "links.csv"
    result = runner.invoke(cli, ["--config", str(config), "claims", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert "4 learners announced, 4 sent" in result.output and len(claim_rows(out.parent)) == 4
    again = tmp_path / "again" / "renew.csv"
    result = runner.invoke(cli, ["--config", str(config), "claims", "renew", "S1", "--csv", str(again)])
    assert result.exit_code == 0, result.output
    assert [r["email"] for r in claim_rows(again.parent)] == ["s1@example.edu"]
