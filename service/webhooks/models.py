"""The event outbox and outbound webhooks: endpoints, deliveries, attempts.

`events` is the transactional outbox: a mutation writes its events in its own transaction
(`service.webhooks.events.emit`), so a rolled-back mutation leaves none and a committed one
always has them. Workers (`service.webhooks.worker`) fan each event out into one
`webhook_deliveries` row per matching endpoint and deliver those rows, recording every HTTP
call in `webhook_delivery_attempts`.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TenantKey, TimestampMixin, company_fk, str_enum
from service.db.fields import INTERNAL, declare


class EventSequence(Base):
    """The last sequence number given to an event of each company.

    `emit` increments the row in the emitting transaction; the row lock it takes is held until
    that transaction ends, so a company's events commit in sequence order (see `emit`).
    """

    __tablename__ = "event_sequences"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(BigInteger)
    pruned_through: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    """The highest sequence of the company's events removed by retention (0: none): a feed
    cursor that has not seen it has lost events (`service.webhooks.retention`)."""


class Event(IdMixin, Base):
    """One change, as consumers see it. Append-only, apart from `fanned_out_at`."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("company_id", "sequence"),
        Index("ix_events_pending_fan_out", "company_id", "id", postgresql_where=text("fanned_out_at IS NULL")),
        # Retention finds old events by time: a BRIN index, tiny for an append-only table.
        Index("ix_events_occurred_at", "occurred_at", postgresql_using="brin"),
    )

    company_id: Mapped[int] = company_fk(index=False)
    sequence: Mapped[int] = mapped_column(
        BigInteger, info=declare("Increases by one per event of the company, without gaps, in commit order.")
    )
    """Per company, from 1, without gaps, in commit order."""
    type: Mapped[str] = mapped_column(String(64), info=declare("The event type, e.g. `application.stage_changed`."))
    version: Mapped[int] = mapped_column(
        SmallInteger, server_default=text("1"), info=declare("The version of this type's payload shape.")
    )
    """The version of the payload's shape for this type."""
    occurred_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), info=declare("When the change was committed.")
    )
    payload: Mapped[dict[str, Any]] = mapped_column(
        JSONB, info=declare("The payload (`data` of the envelope), with the API's global IDs.", api_name="data")
    )
    """The envelope's `data`."""
    origin: Mapped[str | None] = mapped_column(String(200), info=INTERNAL)
    """Who caused it (e.g. an integration), so its own changes need not be echoed back to it."""
    fanned_out_at: Mapped[datetime | None] = mapped_column(info=INTERNAL)
    """When deliveries were created for it; null while a worker has yet to."""


class EndpointStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    """Deliveries are queued, not sent, until the endpoint is active again."""
    DISABLED = "DISABLED"
    """Nothing is queued or sent; set by an operator, a 410 answer, or continuous failure."""


class WebhookEndpoint(IdMixin, TimestampMixin, Base):
    __tablename__ = "webhook_endpoints"

    company_id: Mapped[int] = company_fk()
    url: Mapped[str] = mapped_column(String(2000), info=declare("Where deliveries are POSTed."))
    description: Mapped[str | None] = mapped_column(Text, info=declare("What the endpoint is for."))
    event_types: Mapped[list[str]] = mapped_column(
        ARRAY(Text),
        server_default=text("'{}'"),
        info=declare("The event types sent here (e.g. `application.created`); empty: every type."),
    )
    """Event types to send; empty: every type."""
    status: Mapped[EndpointStatus] = mapped_column(
        str_enum(EndpointStatus, "webhook_endpoint_status"),
        server_default=text("'ACTIVE'"),
        info=declare("Whether deliveries are sent."),
    )
    status_reason: Mapped[str | None] = mapped_column(
        Text, info=declare("Why the endpoint is paused or disabled, e.g. `the receiver answered 410 Gone`.")
    )
    """Why the endpoint is paused or disabled, e.g. `the receiver answered 410 Gone`."""
    secret: Mapped[str] = mapped_column(String(100), info=INTERNAL)
    """`whsec_<base64>`; kept in clear, since signing needs it."""
    previous_secret: Mapped[str | None] = mapped_column(String(100), info=INTERNAL)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(
        info=declare("After a rotation: until when requests also carry a signature with the previous secret.")
    )
    """Until then requests carry a signature with `previous_secret` too."""
    suppress_origin: Mapped[str | None] = mapped_column(String(200), info=INTERNAL)
    """Events whose `origin` is this value are not sent here (an integration's own changes)."""
    failing_since: Mapped[datetime | None] = mapped_column(
        info=declare("The first failed attempt since the last success; null while healthy.")
    )
    """The first failure since the last success; null while the endpoint is healthy."""


class DeliveryStatus(enum.Enum):
    PENDING = "PENDING"
    """Waiting for `next_attempt_at`, or in flight while leased."""
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    """Given up: the retry schedule ran out, or the endpoint was disabled."""


class WebhookDelivery(IdMixin, TimestampMixin, Base):
    """One event to one endpoint. Redelivery and replay put the same row back to PENDING."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", "company_id"),
        Index(
            "ix_webhook_deliveries_due",
            "endpoint_id",
            "next_attempt_at",
            "id",
            postgresql_where=text("status = 'PENDING'"),
        ),
        # The leases in force per endpoint (its concurrency cap): few rows, however long the queue.
        Index(
            "ix_webhook_deliveries_leased",
            "endpoint_id",
            postgresql_where=text("status = 'PENDING' AND lease_owner IS NOT NULL"),
        ),
        Index("ix_webhook_deliveries_company_id_id", "company_id", "id"),
    )

    company_id: Mapped[int] = company_fk(index=False)
    endpoint_id: Mapped[int] = mapped_column(TenantKey("webhook_endpoints", ondelete="CASCADE"), info=INTERNAL)
    event_id: Mapped[int] = mapped_column(TenantKey("events", ondelete="CASCADE"), index=True, info=INTERNAL)
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "webhook_delivery_status"),
        server_default=text("'PENDING'"),
        info=declare("Where the delivery stands."),
    )
    attempts: Mapped[int] = mapped_column(
        Integer,
        server_default=text("0"),
        info=declare(
            "Attempts since the delivery was last (re)scheduled; `attempts` lists every attempt ever made.",
            api_name="attemptCount",
        ),
    )
    """Attempts since the delivery was (re)scheduled; indexes the retry schedule."""
    next_attempt_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), info=declare("When the next attempt is due, while PENDING.")
    )
    lease_owner: Mapped[str | None] = mapped_column(String(100), info=INTERNAL)
    lease_expires_at: Mapped[datetime | None] = mapped_column(info=INTERNAL)
    """While in the future, `lease_owner` is delivering it; after, any worker may reclaim it."""
    last_status_code: Mapped[int | None] = mapped_column(
        Integer, info=declare("The HTTP status of the latest attempt, if any.")
    )
    last_error: Mapped[str | None] = mapped_column(Text, info=declare("Why the latest attempt failed, if it did."))
    delivered_at: Mapped[datetime | None] = mapped_column(info=declare("When the receiver last answered 2xx."))


class WebhookDeliveryAttempt(IdMixin, Base):
    """One HTTP call: append-only."""

    __tablename__ = "webhook_delivery_attempts"
    __table_args__ = (Index("ix_webhook_delivery_attempts_delivery_id_id", "delivery_id", "id"),)

    company_id: Mapped[int] = company_fk(index=False)
    delivery_id: Mapped[int] = mapped_column(TenantKey("webhook_deliveries", ondelete="CASCADE"), info=INTERNAL)
    attempted_at: Mapped[datetime] = mapped_column(server_default=func.now(), info=declare("When the call started."))
    status_code: Mapped[int | None] = mapped_column(
        Integer, info=declare("The receiver's HTTP status; null without an answer.")
    )
    """The receiver's HTTP status; null when there was no answer (see `error`)."""
    latency_ms: Mapped[int] = mapped_column(Integer, info=declare("How long the call took, in milliseconds."))
    response_excerpt: Mapped[str | None] = mapped_column(
        Text, info=declare("The first kilobyte of the response body, decoded leniently.")
    )
    """The first kilobyte of the response body, decoded leniently."""
    error: Mapped[str | None] = mapped_column(
        Text, info=declare("Why there was no usable answer: a timeout, a refused connection, an address not allowed…")
    )
    """Why there was no usable answer: timeout, connection refused, address not allowed…"""
