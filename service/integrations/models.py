"""ATS integrations: a company's connection to Greenhouse, Lever, Ashby, Workable or any
Standard-Webhooks sender; the inbox of the deliveries they push to us; and the external
references that tie their records to ours.

An inbound delivery is stored raw the moment its signature checks out (`inbound_deliveries`)
and applied later by the worker (`service.integrations.processing`), so the sender gets its
2xx quickly and nothing is lost if applying fails: a failed entry keeps its error and can be
retried.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TenantKey, TimestampMixin, company_fk, str_enum
from service.db.fields import INTERNAL, declare


class Provider(enum.Enum):
    GREENHOUSE = "greenhouse"
    LEVER = "lever"
    ASHBY = "ashby"
    WORKABLE = "workable"
    STANDARD = "standard"
    """Any sender signing per the Standard Webhooks specification, sending Hiregraph's own
    event shapes (another Hiregraph, or a partner that adopted them)."""


class IntegrationStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    """Deliveries are still received and stored, but not applied until resumed."""
    DISABLED = "DISABLED"
    """Deliveries are refused (404), as for an unknown integration."""


class Integration(IdMixin, TimestampMixin, Base):
    __tablename__ = "integrations"
    __table_args__ = (UniqueConstraint("company_id", "name"),)

    company_id: Mapped[int] = company_fk()
    provider: Mapped[Provider] = mapped_column(str_enum(Provider, "integration_provider"), info=declare("The ATS."))
    name: Mapped[str] = mapped_column(String(200), info=declare("A name unique within the company."))
    status: Mapped[IntegrationStatus] = mapped_column(
        str_enum(IntegrationStatus, "integration_status"),
        server_default=text("'ACTIVE'"),
        info=declare("Whether deliveries are received and applied."),
    )
    secret: Mapped[str] = mapped_column(String(500), info=INTERNAL)
    """The inbound signing secret (HMAC key, or `whsec_…` for Standard Webhooks). Kept in
    clear because verifying needs it; never readable through the API after creation."""
    previous_secret: Mapped[str | None] = mapped_column(String(500), info=INTERNAL)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(
        info=declare("After a rotation: until when deliveries signed with the previous secret are accepted.")
    )
    """After a rotation the old secret still verifies until then."""
    last_received_at: Mapped[datetime | None] = mapped_column(
        info=declare("When the latest verified delivery arrived.")
    )


class InboundStatus(enum.Enum):
    PENDING = "PENDING"
    """Stored, waiting for the worker (or for its next attempt)."""
    APPLIED = "APPLIED"
    SKIPPED = "SKIPPED"
    """Understood and deliberately not applied: an unknown event type, a ping, or a change
    older than what is already stored."""
    FAILED = "FAILED"
    """Applying failed on every attempt; kept with its error, retried on request."""


DEDUPE_KEY_PATTERN = "^sha256:[0-9a-f]{64}(#[0-9]+)?$"


class InboundDelivery(IdMixin, Base):
    """One verified delivery from an integration, exactly as received."""

    __tablename__ = "inbound_deliveries"
    __table_args__ = (
        UniqueConstraint("integration_id", "dedupe_key", "company_id"),
        Index("ix_inbound_deliveries_received_at", "received_at", postgresql_using="brin"),
        CheckConstraint(f"dedupe_key ~ '{DEDUPE_KEY_PATTERN}'", name="dedupe_key_is_a_digest"),
        Index(
            "ix_inbound_deliveries_due", "company_id", "next_attempt_at", postgresql_where=text("status = 'PENDING'")
        ),
        Index("ix_inbound_deliveries_integration_id_id", "integration_id", "id"),
        Index("ix_inbound_deliveries_subjects", "subjects", postgresql_using="gin"),
    )

    company_id: Mapped[int] = company_fk()
    integration_id: Mapped[int] = mapped_column(TenantKey("integrations", ondelete="CASCADE"), info=INTERNAL)
    dedupe_key: Mapped[str] = mapped_column(
        String(300),
        info=declare("`sha256:<hex>` of what the provider signs: a delivery is stored once per key."),
    )
    """`sha256:<hex>` of what the provider signs (`signatures.dedupe_key`), never an unsigned id:
    a replay with a changed or removed unsigned id has the same key and is a duplicate. The
    check constraint keeps it a digest. `#<id>` ends the key of a second copy stored before
    keys were signed-only (migration 0006)."""
    event_type: Mapped[str] = mapped_column(
        String(200), info=declare("The provider's event type, e.g. `candidate_stage_change`.")
    )
    body: Mapped[str] = mapped_column(
        Text,
        info=declare(
            "The body exactly as received and verified; a redaction notice once the person it was about was erased."
        ),
    )
    """The raw body, as signed; `{"redacted": true, …}` once the person it was about was erased."""
    subjects: Mapped[list[str] | None] = mapped_column(ARRAY(String(64)), info=INTERNAL)
    """One-way keys of who the delivery is about (`service.integrations.subjects`); None for
    deliveries received before they were kept."""
    redacted_at: Mapped[datetime | None] = mapped_column(
        info=declare("When the body was redacted because the person it was about was erased; null if never.")
    )
    """When the body was replaced because the person it was about was erased."""
    headers: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"), info=INTERNAL)
    """The request's headers that matter for verifying and ordering (no credentials)."""
    received_at: Mapped[datetime] = mapped_column(server_default=text("now()"), info=declare("When it arrived."))
    status: Mapped[InboundStatus] = mapped_column(
        str_enum(InboundStatus, "inbound_status"),
        server_default=text("'PENDING'"),
        info=declare("Where the delivery stands."),
    )
    attempts: Mapped[int] = mapped_column(
        Integer,
        server_default=text("0"),
        info=declare("Attempts to apply it so far.", api_name="attemptCount"),
    )
    next_attempt_at: Mapped[datetime] = mapped_column(
        server_default=text("now()"), info=declare("When the next attempt is due, while PENDING.")
    )
    leased_by: Mapped[str | None] = mapped_column(String(200), info=INTERNAL)
    processed_at: Mapped[datetime | None] = mapped_column(info=declare("When it was last attempted."))
    result: Mapped[str | None] = mapped_column(Text, info=declare("What applying it did, or why it was skipped."))
    """What applying did ("applicant created, application moved to Onsite"), or why it was skipped."""
    error: Mapped[str | None] = mapped_column(Text, info=declare("Why the latest attempt failed, if it did."))
    """The last failure, for an operator to read."""


class ExternalRef(IdMixin, TimestampMixin, Base):
    """(provider, external id) <-> (entity type, entity id), unique both ways per company."""

    __tablename__ = "external_refs"
    __table_args__ = (
        UniqueConstraint("company_id", "provider", "entity_type", "external_id"),
        # Led by the record, not the company: it also finds a record's references (any
        # provider's), and a lookup by external ID cannot take it for a scan of all the
        # company's references of a type, as the planner did for a new company whose rows it
        # had no statistics for yet (a backfill's first minutes: 18 ms a batch lookup, not 1).
        UniqueConstraint("entity_type", "entity_id", "company_id", "provider"),
    )

    company_id: Mapped[int] = company_fk(index=False)  # the unique keys lead with it
    provider: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(200))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    source_updated_at: Mapped[datetime | None]
    """The provider's time of the newest change applied to the record; an older change is skipped."""
    deleted_at: Mapped[datetime | None]
    """Set when the provider deleted (or merged away) the record: later changes to it are skipped."""


class ErasedSubject(Base):
    """A subject key (`service.integrations.subjects`) of an erased applicant: a delivery about
    them that was received before `erased_at` is never applied, whenever it is processed."""

    __tablename__ = "erased_subjects"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
