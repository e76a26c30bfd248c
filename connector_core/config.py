"""One TOML file → validated settings. `${ENV}` and `file:` secrets; every error names file, key, fix.

Lookup order for the file: `--config`, then `LERCONNECT_CONFIG`, then `./lerconnect.toml`.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from connector_core.source import SourceConfig

DEFAULT_FILE = "lerconnect.toml"
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigError(Exception):
    """A configuration problem; the message names the file, the key and what is expected."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreSettings(_Section):
    url: str = "lerconnect.db"


class SchedulerSettings(_Section):
    timezone: str = "UTC"
    misfire_grace_seconds: int = Field(default=3600, ge=1)


class EngineSettings(_Section):
    """Where the night's work runs: in this process (a pool of processes), or on Celery workers."""

    executor: Literal["local", "celery"] = Field(
        default="local", description='"local": this machine, `processes` at a time; "celery": `lerconnect worker`s'
    )
    processes: int = Field(
        default=1, ge=1, le=64, description="local executor: partitions and signing batches run this many at once"
    )
    broker_url: str | None = Field(
        default=None, description='celery: the broker, e.g. "redis://127.0.0.1:6379/0" or "amqp://guest@127.0.0.1//"'
    )
    redis_url: str | None = Field(
        default=None,
        description="where workers share each source's rate budget (default: broker_url when it is Redis)",
    )
    queue: str = Field(default="lerconnect", description="celery: the queue the scheduler fills and workers drain")
    partition_lease_seconds: float = Field(
        default=120, gt=0, description="a partition whose worker stops renewing its lease this long is retaken"
    )
    issue_batch: int = Field(default=500, ge=1, le=10_000, description="records signed per signing task")
    commit_records: int = Field(
        default=500,
        ge=1,
        le=10_000,
        description="a source's pages are stored together, one transaction and checkpoint per this many records"
        " read (or 2 seconds of reading); a crash reads at most this many again",
    )

    def budget_url(self) -> str | None:
        """The Redis URL of the shared rate budgets, or None (each process keeps its own)."""
        if self.redis_url:
            return self.redis_url
        if self.executor == "celery" and self.broker_url and self.broker_url.startswith(("redis://", "rediss://")):
            return self.broker_url
        return None


class IdentitySettings(_Section):
    match: tuple[Literal["institution_id", "verified_email"], ...] = ("institution_id", "verified_email")


class LoggingSettings(_Section):
    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class PrivacySettings(_Section):
    """What personal data every credential (OB and CLR alike) carries about its learner."""

    show_name: bool = Field(default=False, description="the learner's name in clear in credentials and the CLR title")
    identifiers: tuple[Literal["did", "email", "institution_id"], ...] = Field(
        default=("did", "email", "institution_id"),
        min_length=1,
        description="recipient identifiers in order of preference; email and institution id are salted hashes",
    )
    all_identifiers: bool = Field(default=False, description="carry every listed identifier, not just the first")


class IssuerSettings(_Section):
    """The issuing institution, its key and where status lists are published."""

    name: str = "Sandbox University"
    url: str | None = None
    email: str | None = None
    key_file: Path = Path("issuer-key.pem")
    passphrase_env: str = "LERCONNECT_KEY_PASSPHRASE"  # noqa: S105 - the name of a variable, not a secret
    passphrase: SecretStr | None = Field(
        default=None, description='instead of passphrase_env: "file:/run/secrets/key-passphrase" or "${VAR}"'
    )
    did_method: Literal["key", "web"] = "key"
    domain: str | None = Field(default=None, description="for did:web, e.g. registrar.example.edu")
    status_base_url: str = Field(
        default="https://credentials.example.edu/status", description="public URL under which status lists are served"
    )
    status_dir: Path = Field(default=Path("status"), description="folder the status list files are written to")
    contexts_dir: Path | None = Field(
        default=None, description="extra JSON-LD contexts: a folder with index.json (URL -> file, SHA-256)"
    )
    issue_statuses: tuple[Literal["completed", "in_progress", "incomplete", "withdrawn", "failed"], ...] = Field(
        default=("completed",), description="result statuses that earn a credential; others are stored only"
    )
    privacy: PrivacySettings = PrivacySettings()
    wait_for_holds: bool = Field(
        default=True,
        description="issue for a learner only after every stream that flags FERPA holds has completed a pass "
        "since the learner's records changed (a missing export or a killed run then holds, not signs)",
    )
    lock_wait_seconds: float = Field(
        default=600, ge=0, description="how long an issuer waits for another one working on the same store"
    )


class ServeSettings(_Section):
    """`lerconnect serve`: the web service (VC-API, did.json, status lists, verify page).

    It speaks plain HTTP on a loopback or private address; TLS is the reverse proxy's (README,
    "Serving and delivery"), which is why the public base URL is configured, not guessed.
    """

    host: str = Field(default="127.0.0.1", description="address to listen on (behind a reverse proxy: loopback)")
    port: int = Field(default=8080, ge=1, le=65535, description="TCP port to listen on")
    public_base_url: str = Field(
        default="http://127.0.0.1:8080",
        description="the https URL people and wallets reach the service at (through the reverse proxy)",
    )
    max_body_bytes: int = Field(
        default=2_000_000, ge=1024, description="largest request body accepted; larger ones are refused with 400"
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description='signs CSRF tokens: "file:/run/secrets/serve-key" or "${VAR}"; unset: random per process',
    )
    token_ttl_seconds: int = Field(
        default=3600, ge=60, le=86400, description="lifetime of OAuth access tokens of the issuer API"
    )
    rate_limit_per_minute: int = Field(
        default=120,
        ge=1,
        description="requests per minute one client address may make to the token endpoint, and to the verifiers",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="reverse proxies whose X-Forwarded-For/-Proto headers are trusted (comma-separated)",
    )
    schemas_dir: Path | None = Field(
        default=None,
        description="folder with the pinned 1EdTech JSON Schema files, for the verifiers' schema check",
    )
    access_log: bool = Field(default=True, description="log one line per request: method, path, status (no bodies)")


class SmtpSettings(_Section):
    """The campus mail server claim links go out through; TLS is verified against the system CAs (or `ca_file`)."""

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = Field(
        default="starttls", description='"tls" for implicit TLS (port 465); "none" only for a loopback relay'
    )
    username: str | None = None
    password: SecretStr | None = Field(default=None, description='"file:/run/secrets/smtp-password" or "${VAR}"')
    ca_file: Path | None = Field(default=None, description="a private CA bundle to trust besides the system's")
    sender: str = Field(description='From address, e.g. "Registrar <registrar@example.edu>"')
    subject: str = "Your records from {issuer} are ready to claim"
    template: Path | None = Field(default=None, description="a Jinja2 text template for the message body")
    timeout_seconds: float = Field(default=30, gt=0)


class DeliverySettings(_Section):
    """Claim links for learners after each issuing pass, and the wallet offers the claim page makes.

    Links point at `[serve].public_base_url`, where `lerconnect serve` shows the claim page.
    """

    sink: Literal["email", "csv", "none"] = Field(
        default="email", description="email through [delivery.smtp], or a CSV file per night for the campus mailer"
    )
    csv_dir: Path = Field(default=Path("claims"), description="folder the nightly claim-link CSV files go to")
    claim_days: float = Field(default=14, gt=0, description="how long a claim link stays usable")
    session_minutes: float = Field(default=30, gt=0, description="how long an opened claim page stays signed in")
    offer_minutes: float = Field(default=15, gt=0, description="how long a wallet offer (QR code, deep link) lives")
    tx_code: bool = Field(default=False, description="OID4VCI offers also ask for a 6-digit code shown on the page")
    smtp: SmtpSettings | None = None


class Settings(_Section):
    """The whole file. `sources` stay raw here; each is validated by its plugin's `Config` model."""

    path: Path | None = None
    store: StoreSettings = StoreSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    engine: EngineSettings = EngineSettings()
    identity: IdentitySettings = IdentitySettings()
    logging: LoggingSettings = LoggingSettings()
    issuer: IssuerSettings | None = None
    serve: ServeSettings = ServeSettings()
    delivery: DeliverySettings | None = None
    sources: dict[str, dict[str, Any]] = Field(default_factory=dict)
    unresolved: dict[str, str] = Field(default_factory=dict, exclude=True)
    """Secrets (`${VAR}`, `file:`) that could not be read, by section: an error only where used."""

    def require(self, section: str) -> None:
        """Raise the deferred error of `section` ("store", "issuer", "sources.<name>") if it has one."""
        if section in self.unresolved:
            raise ConfigError(self.unresolved[section])


def _key(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and parts[0] == "sources":
        return f"[sources.{parts[1]}]" + ("." + ".".join(parts[2:]) if parts[2:] else "")
    return ".".join(parts) or "(top level)"


def _expected(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required but missing: add it"
    if kind == "extra_forbidden":
        return "is not a known setting: check the spelling against `lerconnect init`"
    value = error.get("input")
    if isinstance(value, dict | list):  # a whole table may hold secrets: name the key, never echo it
        return error["msg"].lower()
    return f"{error['msg'].lower()} (got {value!r})"


def format_validation(path: Path | str, error: ValidationError, prefix: tuple[Any, ...] = ()) -> str:
    lines = [f"{path}: {_key(prefix + tuple(e['loc']))} {_expected(e)}" for e in error.errors()]
    return "\n".join(lines)


def _section(where: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in where[:2]) if where[:1] == ("sources",) else str(where[0] if where else "")


def _resolve_value(value: Any, where: tuple[Any, ...], path: Path | str, unresolved: dict[str, str]) -> Any:
    """Expand `${VAR}` and `file:PATH` in strings, recursively.

    A secret that cannot be read is noted in `unresolved` under its section and left as written:
    commands that only read the store must work without any source's token.
    """
    if isinstance(value, dict):
        return {k: _resolve_value(v, (*where, k), path, unresolved) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_value(v, (*where, i), path, unresolved) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value
    try:
        return _resolve_text(value, where, path)
    except ConfigError as exc:
        unresolved.setdefault(_section(where), str(exc))
        return value


def _resolve_text(value: str, where: tuple[Any, ...], path: Path | str) -> str:
    """One string with `${VAR}` expanded and a `file:` secret read; errors name the key and the fix."""

    def env(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ConfigError(
                f"{path}: {_key(where)} uses ${{{name}}}, which is not set: "
                f"export {name}=… before running, or use file:/path/to/secret"
            )
        return os.environ[name]

    value = _ENV.sub(env, value)
    if value.startswith("file:"):
        secret = Path(value.removeprefix("file:")).expanduser()
        if not secret.is_absolute() and isinstance(path, Path):
            secret = path.parent / secret
        try:
            return secret.read_text().strip()
        except OSError as exc:
            raise ConfigError(
                f"{path}: {_key(where)} points to {secret}, which cannot be read "
                f"({exc.strerror}): fix the path or the file's permissions"
            ) from None
    return value


def find_config(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    candidate = explicit or os.environ.get("LERCONNECT_CONFIG")
    if candidate:
        path = Path(candidate).expanduser()
        if not path.is_file():
            raise ConfigError(f"{path}: no such config file: create one with `lerconnect init {path}`")
        return path
    default = Path(DEFAULT_FILE)
    return default if default.is_file() else None


def load_settings(explicit: str | os.PathLike[str] | None = None) -> Settings:
    """Read and validate the config file; no file at all means defaults (no sources)."""
    path = find_config(explicit)
    if path is None:
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}): fix the syntax at that line") from None
    unresolved: dict[str, str] = {}
    resolved = _resolve_value(data, (), path, unresolved)
    return settings_from_dict(resolved, path, unresolved)


def settings_from_dict(
    data: dict[str, Any], path: Path | str = "<config>", unresolved: dict[str, str] | None = None
) -> Settings:
    try:
        settings = Settings.model_validate(
            {**data, "path": path if isinstance(path, Path) else None, "unresolved": unresolved or {}}
        )
    except ValidationError as exc:
        raise ConfigError(format_validation(path, exc)) from None
    _check_executor(settings, path)
    for name, table in settings.sources.items():
        if "plugin" not in table:
            raise ConfigError(
                f"{path}: [sources.{name}].plugin is required but missing: "
                f'say which plugin serves it, e.g. plugin = "canvas" (see `lerconnect plugins`)'
            )
    return settings


def _check_executor(settings: Settings, path: Path | str) -> None:
    """Celery needs a broker and a store every worker can reach: PostgreSQL, never a SQLite file."""
    engine = settings.engine
    if engine.executor != "celery":
        return
    if not engine.broker_url:
        raise ConfigError(
            f'{path}: engine.executor is "celery" but engine.broker_url is not set: add '
            f'broker_url = "redis://127.0.0.1:6379/0" (or "amqp://guest@127.0.0.1//" for RabbitMQ)'
        )
    if not engine.broker_url.startswith(("redis://", "rediss://", "amqp://", "amqps://", "pyamqp://")):
        raise ConfigError(
            f"{path}: engine.broker_url must be a redis:// or amqp:// URL (Redis or RabbitMQ), "
            f"got one starting {engine.broker_url.split(':', 1)[0]!r}"
        )
    if "://" not in settings.store.url or settings.store.url.startswith("sqlite"):
        raise ConfigError(
            f'{path}: engine.executor is "celery" but the store is a SQLite file ({settings.store.url}), '
            f"which workers on other machines cannot share: set [store].url to PostgreSQL, e.g. "
            f'url = "postgresql+psycopg://lerconnect@db.example.edu/lerconnect"'
        )


def source_config(settings: Settings, name: str, model: type[SourceConfig]) -> SourceConfig:
    """Validate one `[sources.<name>]` table with its plugin's Config model."""
    settings.require(f"sources.{name}")
    try:
        return model.model_validate(settings.sources[name])
    except ValidationError as exc:
        raise ConfigError(format_validation(settings.path or "<config>", exc, ("sources", name))) from None
