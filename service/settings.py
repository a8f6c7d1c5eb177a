"""One Settings object, read from the environment (12-factor)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _text(value: str | None) -> str | None:
    """A stripped value, or None when unset or blank."""
    return (value.strip() or None) if value is not None else None


def _seconds(value: str | None) -> tuple[float, ...] | None:
    """A comma-separated list of seconds (`5,300,1800`), or None when unset."""
    if value is None or not value.strip():
        return None
    return tuple(float(part) for part in value.split(",") if part.strip())


ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:[0-9]{1,5})?$|^https?://\[[0-9a-f:]+\](:[0-9]{1,5})?$")
"""A browser origin as the `Origin` header sends it, lower case (RFC 6454)."""


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


_URL_STARTS = re.compile(r",\s*(?=[A-Za-z][A-Za-z0-9+.-]*://|\s*$)")
"""Where the next URL of a comma-separated list begins: only a comma before a scheme (or ending
the list), since a URL may hold commas itself (in a password, or libpq's `host1:5432,host2:5432`)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Runtime configuration. Built by entry points with `Settings.from_env()`."""

    database_url: str | None = None
    """PostgreSQL URL; when unset the embedded server under `data_dir` is used."""
    data_dir: Path = field(default_factory=lambda: Path(".hiregraph"))
    """Where the embedded PostgreSQL keeps its data."""
    host: str = "127.0.0.1"
    port: int = 8000
    environment: str = "development"
    """`development` enables GraphiQL; `production` turns it off."""
    db_pool_size: int = 30
    """Connections kept open; each request's loaders run concurrently, one connection each."""
    db_max_overflow: int = 10
    max_page_size: int = 100
    replica_urls: tuple[str, ...] = ()
    """Streaming read replicas of the database (`HIREGRAPH_REPLICA_URLS`, comma-separated; a comma
    within a URL, before anything but a scheme, stays in it): queries
    go to one that is fresh enough, writes to the primary (see `service.db.replicas`)."""
    replica_max_lag: float = 10.0
    """Seconds a replica may lag behind the primary and still answer reads."""
    replica_check_interval: float = 0.5
    """Seconds between checks of each replica's health and lag."""
    compiled_reads: bool = True
    """Answer queries the compiler handles with one SQL statement; off: dataloaders only."""
    log_level: str = "info"

    # Observability (see README, "Observability").
    log_format: str | None = None
    """`json` or `text`; None: JSON in production, text otherwise."""
    metrics_port: int | None = None
    """Where `hiregraph worker` serves `/metrics` (on `host`); None: not served. The API serves
    `GET /metrics` on its own port whatever this says."""
    otlp_endpoint: str | None = None
    """OTLP/HTTP collector base URL (`http://collector:4318`); None: tracing off, at no cost."""
    trace_resolver_rate: float = 0.01
    """Share of traced Strawberry executions whose resolvers get spans of their own."""
    worker_stall_after: float | None = None
    """Seconds a worker's loop may go without progress before its `/healthz` answers 503; None:
    `webhook_lease_seconds + webhook_poll_interval` (see `observability.exposition.stall_after`)."""

    # Limits on one request, checked before anything executes (see README, "Limits").
    max_body_bytes: int = 1_000_000
    """Largest request body; larger ones get 413 before they are read."""
    max_document_chars: int = 100_000
    """Characters in one document, checked before it is read (large values go in variables)."""
    max_tokens: int = 5_000
    """Lexical tokens in one document (the largest in the test suite has about 400)."""
    max_fields: int = 2_000
    """Fields selected once fragments are expanded, every spread counted (measured, not expanded)."""
    max_directives: int = 50
    """Directives once fragments are expanded."""
    max_depth: int = 20
    """Nested fields below the root, counted through fragments."""
    max_aliases: int = 50
    max_batch: int = 10
    """Operations in one batched (JSON array) request."""
    max_list_items: int = 100
    """Items in any list argument, variables included."""
    max_query_cost: int = 25_000
    """Largest static cost of one operation (see `service.graphql.cost`)."""
    request_timeout: float = 10.0
    """Seconds one request may run; the database statement is cancelled with it."""

    # Rate limits: a token bucket of cost points per API key.
    rate_limit: str = "postgres"
    """`postgres` (shared by every process), `memory` (this process only) or `off`."""
    rate_limit_capacity: int = 50_000
    rate_limit_restore_rate: int = 5_000
    """Points per second a bucket refills."""

    # Browsers (see README, "Browsers").
    cors_origins: tuple[str, ...] = ()
    """Origins (`https://app.example.com`) whose pages may call the API from a browser, with
    credentials; none by default: no CORS headers at all. Never `*`."""

    # People signing in (see README, "Signing in").
    public_url: str | None = None
    """The address browsers reach this server by (`https://hiregraph.example.com`), for the
    sign-in redirect URI; None: the address of the request that starts the sign-in."""
    session_idle_minutes: int = 720
    """A session with no request for this long ends (12 hours: a working day away ends it)."""
    session_hours: int = 168
    """A session ends this long after sign-in whatever its use (7 days), so a stolen cookie
    does not live forever and a person's provider is asked again each week."""
    session_secret: str | None = None
    """Signs the short-lived cookie that carries a sign-in's state, nonce and PKCE verifier to
    the callback; every API process must share it. None: a random one per process (one process
    only, as `make run`)."""
    dev_sign_in: bool = False
    """Anyone reaching the server may sign in as any active person without a provider: for
    `make run`'s demo only, refused outside `development` and on a non-loopback host."""

    # Outbound webhooks (see docs/webhooks.md).
    webhook_allow_loopback: bool = False
    """Deliver to loopback addresses (127.0.0.0/8, ::1): tests and `make run` only."""
    webhook_allow_private: bool = False
    """Deliver to private networks (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7).
    Link-local, multicast, reserved and cloud-metadata addresses are refused regardless."""
    webhook_timeout: float = 10.0
    """Seconds one delivery attempt may take, connecting included."""
    webhook_retry_schedule: tuple[float, ...] | None = None
    """Seconds to wait after each failed attempt; None: `RETRY_SCHEDULE` (about three days)."""
    webhook_lease_seconds: float = 60.0
    """How long a claimed delivery stays reserved for its worker; another reclaims it after."""
    webhook_worker_concurrency: int = 32
    """Requests one worker keeps in flight."""
    webhook_endpoint_concurrency: int = 4
    """Requests in flight to one endpoint, across every worker."""
    webhook_poll_interval: float = 1.0
    """Seconds between polls when no notification arrives."""
    webhook_disable_after: float = 5 * 24 * 3600.0
    """Seconds of continuous failure after which an endpoint is disabled."""
    webhook_secret_grace: float = 24 * 3600.0
    """Seconds the previous secret keeps signing after a rotation."""
    inbound_max_body: int = 1_000_000
    """The largest inbound ATS webhook body accepted, in bytes (413 above)."""
    inbound_retry_schedule: tuple[float, ...] = (10.0, 60.0, 300.0, 1800.0, 7200.0)
    """Seconds to wait after each failed attempt to apply an inbound delivery; after the last
    it is FAILED, kept with its error, until retried through GraphQL."""

    # Attachments (see docs/attachments.md).
    files_dir: Path | None = None
    """Where attachment content is kept on disk; None: `files` under `data_dir`. Unused when
    `s3_bucket` is set."""
    s3_bucket: str | None = None
    """Keep attachment content in this S3-compatible bucket instead of on disk. Credentials come
    from the usual `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (or the instance's role)."""
    s3_endpoint: str | None = None
    """The object store's URL when not AWS itself (`http://127.0.0.1:9000`)."""
    s3_region: str = "us-east-1"
    s3_prefix: str = "attachments/"
    """Prepended to every object key, so a bucket can be shared."""
    max_attachment_bytes: int = 20_000_000
    """The largest attachment accepted, in bytes (413 above, before any of it is read)."""
    upload_url_seconds: float = 900.0
    """How long an upload URL stays usable."""
    max_bulk_bytes: int = 1_000_000_000
    """The largest bulk operation upload (JSON Lines), in bytes: 413 above, checked as it streams in."""
    max_bulk_line_bytes: int = 1_000_000
    """The longest line of a bulk upload, in bytes (a record, not a file)."""
    max_bulk_lines: int = 2_000_000
    """The most lines one bulk upload may hold (a large employer's whole history is well below)."""
    bulk_uploads_at_once: int = 4
    """Bulk uploads one API process takes at the same time (each holds a database connection
    while it streams in); more get 503 and `Retry-After`."""
    max_bulk_unfinished: int = 10
    """Bulk operations a company may have waiting for their upload (unexpired), queued or running
    at once: each may stage `max_bulk_bytes` (`LIMIT_REACHED` past it)."""
    bulk_batch_lines: int = 1000
    """Lines a worker applies per transaction of a bulk operation."""
    bulk_upload_seconds: float = 3600.0
    """How long a bulk operation waits for its upload before it expires."""
    retain_events_days: int = 30
    """Days events are kept (with their deliveries and attempts) once every delivery of theirs is
    settled; 0 keeps them for ever. The changes feed and replays reach back this far."""
    retain_inbound_days: int = 30
    """Days applied, skipped or failed inbound ATS deliveries are kept; 0 keeps them for ever."""
    retain_audit_days: int = 400
    """Days audit rows are kept (a year and a review's margin); 0 keeps them for ever."""
    retain_bulk_days: int = 30
    """Days an ended bulk operation and its results are kept; 0 keeps them for ever."""

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def json_logs(self) -> bool:
        """Log lines are JSON objects (`log_format`, by default in production only)."""
        return self.log_format == "json" if self.log_format is not None else self.production

    @property
    def files_path(self) -> Path:
        """Where attachment content is kept on disk (`files_dir`, else under `data_dir`)."""
        return self.files_dir if self.files_dir is not None else self.data_dir / "files"

    @property
    def graphiql(self) -> bool:
        """The in-browser IDE is served outside production only."""
        return not self.production

    @property
    def introspection(self) -> bool:
        """Schema introspection is answered outside production only."""
        return not self.production

    def __post_init__(self) -> None:
        if self.rate_limit not in {"postgres", "memory", "off"}:
            raise ValueError(f"HIREGRAPH_RATE_LIMIT must be postgres, memory or off, not {self.rate_limit!r}")
        if self.max_query_cost > self.rate_limit_capacity:
            raise ValueError("HIREGRAPH_MAX_QUERY_COST cannot exceed HIREGRAPH_RATE_LIMIT_CAPACITY")
        if self.webhook_lease_seconds <= self.webhook_timeout:
            raise ValueError("HIREGRAPH_WEBHOOK_LEASE must be longer than HIREGRAPH_WEBHOOK_TIMEOUT")
        if self.webhook_worker_concurrency < 1 or self.webhook_endpoint_concurrency < 1:
            raise ValueError("webhook concurrency settings must be at least 1")
        if self.log_format not in {None, "json", "text"}:
            raise ValueError(f"HIREGRAPH_LOG_FORMAT must be json or text, not {self.log_format!r}")
        if (
            min(
                self.max_bulk_bytes,
                self.max_bulk_line_bytes,
                self.max_bulk_lines,
                self.bulk_batch_lines,
                self.bulk_uploads_at_once,
                self.max_bulk_unfinished,
            )
            < 1
            or self.bulk_upload_seconds <= 0
        ):
            raise ValueError("the HIREGRAPH_*BULK* settings must be positive")
        if min(self.retain_events_days, self.retain_inbound_days, self.retain_audit_days, self.retain_bulk_days) < 0:
            raise ValueError("the HIREGRAPH_RETAIN_*_DAYS settings are 0 (keep for ever) or a number of days")
        if self.max_attachment_bytes < 1 or self.upload_url_seconds <= 0:
            raise ValueError("HIREGRAPH_MAX_ATTACHMENT_BYTES and HIREGRAPH_UPLOAD_URL_SECONDS must be positive")
        if not 0.0 <= self.trace_resolver_rate <= 1.0:
            raise ValueError("HIREGRAPH_TRACE_RESOLVER_RATE must be between 0 and 1")
        if self.dev_sign_in and (self.environment != "development" or self.host not in LOOPBACK_HOSTS):
            raise ValueError(
                "HIREGRAPH_DEV_SIGN_IN lets anyone sign in as anyone: it is for development on a loopback host "
                f"only (HIREGRAPH_ENV={self.environment!r}, HOST={self.host!r})"
            )
        if self.replica_max_lag <= 0 or self.replica_check_interval <= 0:
            raise ValueError("HIREGRAPH_REPLICA_MAX_LAG and HIREGRAPH_REPLICA_CHECK_INTERVAL must be positive")
        if self.session_idle_minutes < 1 or self.session_hours < 1:
            raise ValueError("HIREGRAPH_SESSION_IDLE_MINUTES and HIREGRAPH_SESSION_HOURS must be positive")
        for origin in self.cors_origins:
            if not ORIGIN.match(origin):
                raise ValueError(
                    f"HIREGRAPH_CORS_ORIGINS takes origins such as https://app.example.com (scheme, host, optional "
                    f"port; no path, no wildcard), not {origin!r}"
                )

    def __repr__(self) -> str:
        return f"Settings(environment={self.environment!r}, host={self.host!r}, port={self.port})"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        d = cls()
        return cls(
            database_url=e.get("DATABASE_URL") or None,
            data_dir=Path(e.get("HIREGRAPH_DATA_DIR", ".hiregraph")),
            host=e.get("HOST", "127.0.0.1"),
            port=int(e.get("PORT", "8000")),
            environment=e.get("HIREGRAPH_ENV", "development"),
            db_pool_size=int(e.get("DB_POOL_SIZE", "30")),
            db_max_overflow=int(e.get("DB_MAX_OVERFLOW", "10")),
            log_level=e.get("LOG_LEVEL", "info"),
            log_format=(_text(e.get("HIREGRAPH_LOG_FORMAT")) or "").lower() or None,
            metrics_port=int(port) if (port := _text(e.get("HIREGRAPH_METRICS_PORT"))) else None,
            otlp_endpoint=_text(e.get("HIREGRAPH_OTLP_ENDPOINT")) or _text(e.get("OTEL_EXPORTER_OTLP_ENDPOINT")),
            trace_resolver_rate=float(e.get("HIREGRAPH_TRACE_RESOLVER_RATE", d.trace_resolver_rate)),
            worker_stall_after=float(v) if (v := _text(e.get("HIREGRAPH_WORKER_STALL_AFTER"))) else None,
            compiled_reads=_bool(e.get("HIREGRAPH_COMPILED_READS"), True),
            replica_urls=tuple(u.strip() for u in _URL_STARTS.split(e.get("HIREGRAPH_REPLICA_URLS", "")) if u.strip()),
            replica_max_lag=float(e.get("HIREGRAPH_REPLICA_MAX_LAG", d.replica_max_lag)),
            replica_check_interval=float(e.get("HIREGRAPH_REPLICA_CHECK_INTERVAL", d.replica_check_interval)),
            max_body_bytes=int(e.get("HIREGRAPH_MAX_BODY_BYTES", d.max_body_bytes)),
            max_document_chars=int(e.get("HIREGRAPH_MAX_DOCUMENT_CHARS", d.max_document_chars)),
            max_tokens=int(e.get("HIREGRAPH_MAX_TOKENS", d.max_tokens)),
            max_fields=int(e.get("HIREGRAPH_MAX_FIELDS", d.max_fields)),
            max_directives=int(e.get("HIREGRAPH_MAX_DIRECTIVES", d.max_directives)),
            max_depth=int(e.get("HIREGRAPH_MAX_DEPTH", d.max_depth)),
            max_aliases=int(e.get("HIREGRAPH_MAX_ALIASES", d.max_aliases)),
            max_batch=int(e.get("HIREGRAPH_MAX_BATCH", d.max_batch)),
            max_query_cost=int(e.get("HIREGRAPH_MAX_QUERY_COST", d.max_query_cost)),
            request_timeout=float(e.get("HIREGRAPH_REQUEST_TIMEOUT", d.request_timeout)),
            rate_limit=e.get("HIREGRAPH_RATE_LIMIT", d.rate_limit).strip().lower(),
            rate_limit_capacity=int(e.get("HIREGRAPH_RATE_LIMIT_CAPACITY", d.rate_limit_capacity)),
            rate_limit_restore_rate=int(e.get("HIREGRAPH_RATE_LIMIT_RESTORE_RATE", d.rate_limit_restore_rate)),
            webhook_allow_loopback=_bool(e.get("HIREGRAPH_WEBHOOK_ALLOW_LOOPBACK"), d.webhook_allow_loopback),
            webhook_allow_private=_bool(e.get("HIREGRAPH_WEBHOOK_ALLOW_PRIVATE"), d.webhook_allow_private),
            webhook_timeout=float(e.get("HIREGRAPH_WEBHOOK_TIMEOUT", d.webhook_timeout)),
            webhook_retry_schedule=_seconds(e.get("HIREGRAPH_WEBHOOK_RETRY_SCHEDULE")),
            webhook_lease_seconds=float(e.get("HIREGRAPH_WEBHOOK_LEASE", d.webhook_lease_seconds)),
            webhook_worker_concurrency=int(e.get("HIREGRAPH_WEBHOOK_CONCURRENCY", d.webhook_worker_concurrency)),
            webhook_endpoint_concurrency=int(
                e.get("HIREGRAPH_WEBHOOK_ENDPOINT_CONCURRENCY", d.webhook_endpoint_concurrency)
            ),
            webhook_poll_interval=float(e.get("HIREGRAPH_WEBHOOK_POLL_INTERVAL", d.webhook_poll_interval)),
            webhook_disable_after=float(e.get("HIREGRAPH_WEBHOOK_DISABLE_AFTER", d.webhook_disable_after)),
            webhook_secret_grace=float(e.get("HIREGRAPH_WEBHOOK_SECRET_GRACE", d.webhook_secret_grace)),
            inbound_max_body=int(e.get("HIREGRAPH_INBOUND_MAX_BODY", d.inbound_max_body)),
            inbound_retry_schedule=_seconds(e.get("HIREGRAPH_INBOUND_RETRY_SCHEDULE")) or d.inbound_retry_schedule,
            files_dir=Path(v) if (v := _text(e.get("HIREGRAPH_FILES_DIR"))) else None,
            s3_bucket=_text(e.get("HIREGRAPH_S3_BUCKET")),
            s3_endpoint=_text(e.get("HIREGRAPH_S3_ENDPOINT")),
            s3_region=_text(e.get("HIREGRAPH_S3_REGION")) or d.s3_region,
            s3_prefix=e.get("HIREGRAPH_S3_PREFIX", d.s3_prefix),
            max_attachment_bytes=int(e.get("HIREGRAPH_MAX_ATTACHMENT_BYTES", d.max_attachment_bytes)),
            upload_url_seconds=float(e.get("HIREGRAPH_UPLOAD_URL_SECONDS", d.upload_url_seconds)),
            max_bulk_bytes=int(e.get("HIREGRAPH_MAX_BULK_BYTES", d.max_bulk_bytes)),
            max_bulk_line_bytes=int(e.get("HIREGRAPH_MAX_BULK_LINE_BYTES", d.max_bulk_line_bytes)),
            max_bulk_lines=int(e.get("HIREGRAPH_MAX_BULK_LINES", d.max_bulk_lines)),
            bulk_uploads_at_once=int(e.get("HIREGRAPH_BULK_UPLOADS_AT_ONCE", d.bulk_uploads_at_once)),
            max_bulk_unfinished=int(e.get("HIREGRAPH_MAX_BULK_UNFINISHED", d.max_bulk_unfinished)),
            bulk_batch_lines=int(e.get("HIREGRAPH_BULK_BATCH_LINES", d.bulk_batch_lines)),
            bulk_upload_seconds=float(e.get("HIREGRAPH_BULK_UPLOAD_SECONDS", d.bulk_upload_seconds)),
            retain_events_days=int(e.get("HIREGRAPH_RETAIN_EVENTS_DAYS", d.retain_events_days)),
            retain_inbound_days=int(e.get("HIREGRAPH_RETAIN_INBOUND_DAYS", d.retain_inbound_days)),
            retain_audit_days=int(e.get("HIREGRAPH_RETAIN_AUDIT_DAYS", d.retain_audit_days)),
            retain_bulk_days=int(e.get("HIREGRAPH_RETAIN_BULK_DAYS", d.retain_bulk_days)),
            public_url=(_text(e.get("HIREGRAPH_PUBLIC_URL")) or "").rstrip("/") or None,
            session_idle_minutes=int(e.get("HIREGRAPH_SESSION_IDLE_MINUTES", d.session_idle_minutes)),
            session_hours=int(e.get("HIREGRAPH_SESSION_HOURS", d.session_hours)),
            session_secret=_text(e.get("HIREGRAPH_SESSION_SECRET")),
            dev_sign_in=_bool(e.get("HIREGRAPH_DEV_SIGN_IN"), False),
            cors_origins=tuple(
                o.strip().rstrip("/").lower() for o in e.get("HIREGRAPH_CORS_ORIGINS", "").split(",") if o.strip()
            ),
        )
