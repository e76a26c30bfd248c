"""Claim-link email through the campus SMTP server: TLS verified, one connection per night, campus template."""

from __future__ import annotations

import ipaddress
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from connector_core.config import ConfigError, SmtpSettings
from connector_core.delivery.notices import ClaimNotice

log = logging.getLogger("lerconnect.delivery")
DEFAULT_TEMPLATE = Path(__file__).with_name("templates") / "claim_email.txt.j2"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Mailer:
    """Renders and sends claim-link messages; the template is sandboxed (campus staff edit it)."""

    def __init__(self, smtp: SmtpSettings, issuer_name: str, base_dir: Path) -> None:
        if smtp.security == "none" and not _loopback(smtp.host):
            raise ConfigError(
                f'[delivery.smtp].security = "none" sends mail in clear to {smtp.host}: use "starttls" or "tls" '
                "(plain SMTP is only allowed to a loopback relay)"
            )
        if smtp.security == "none" and smtp.username:
            raise ConfigError('[delivery.smtp].username is set but security = "none": never send a password in clear')
        self.smtp = smtp
        self.issuer_name = issuer_name
        path = smtp.template or DEFAULT_TEMPLATE
        path = path if path.is_absolute() else base_dir / path
        if not path.is_file():
            raise ConfigError(f"[delivery.smtp].template {path} does not exist: fix the path or remove the key")
        env = SandboxedEnvironment(
            loader=FileSystemLoader(str(path.parent)), undefined=StrictUndefined, autoescape=False
        )
        try:
            self.template = env.get_template(path.name)
        except TemplateError as exc:
            raise ConfigError(f"[delivery.smtp].template {path}: {exc}: fix the template") from None
        self.ca_file = (
            None if smtp.ca_file is None else smtp.ca_file if smtp.ca_file.is_absolute() else base_dir / smtp.ca_file
        )

    def message(self, notice: ClaimNotice) -> EmailMessage:
        values = {
            "given_name": notice.given_name,
            "family_name": notice.family_name,
            "issuer": self.issuer_name,
            "claim_url": notice.claim_url,
            "expires": notice.expires,
            "titles": notice.titles,
            "count": len(notice.titles),
        }
        message = EmailMessage()
        message["From"] = self.smtp.sender
        message["To"] = formataddr(
            (" ".join(p for p in (notice.given_name, notice.family_name) if p), notice.email or "")
        )
        message["Subject"] = self.smtp.subject.format(issuer=self.issuer_name)
        message["Message-ID"] = make_msgid(domain=self.smtp.sender.rpartition("@")[2].strip("> ") or None)
        message["Auto-Submitted"] = "auto-generated"
        try:
            message.set_content(self.template.render(**values))
        except TemplateError as exc:
            raise ConfigError(f"[delivery.smtp].template: {exc}: fix the template") from None
        return message

    def _connect(self) -> smtplib.SMTP:
        smtp = self.smtp
        context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        if smtp.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
            if smtp.security == "starttls":
                client.starttls(context=context)
        if smtp.username:
            client.login(smtp.username, smtp.password.get_secret_value() if smtp.password else "")
        return client

    def send(self, notices: list[ClaimNotice]) -> dict[str, str | None]:
        """Send each notice; learner key -> None when accepted, else why not (never the address)."""
        results: dict[str, str | None] = {}
        if not notices:
            return results
        try:
            client = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            reason = f"cannot reach the mail server {self.smtp.host}:{self.smtp.port}: {type(exc).__name__}: {exc}"
            log.error("claim links not sent: %s", reason)
            return {n.learner_key: reason for n in notices}
        with client:
            for notice in notices:
                if not notice.email:
                    results[notice.learner_key] = "the learner has no email address: export links as CSV instead"
                    continue
                try:
                    client.send_message(self.message(notice))
                    results[notice.learner_key] = None
                except smtplib.SMTPRecipientsRefused:
                    results[notice.learner_key] = "the mail server refused the learner's address"
                except smtplib.SMTPException as exc:
                    results[notice.learner_key] = f"the mail server refused the message: {type(exc).__name__}"
        failed = sum(1 for r in results.values() if r)
        log.info("claim links: %d sent by email, %d not sent", len(results) - failed, failed)
        return results
