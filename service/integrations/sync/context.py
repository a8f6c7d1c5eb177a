"""The context one provider change is applied in, what applying it did, and which of the
provider's times are believed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from service.customfields.models import CustomFieldObject
from service.customfields.service import acceptable

T = TypeVar("T")


def origin_of(provider: str) -> str:
    """The `origin` of events caused by `provider`'s records (see `WebhookEndpoint.suppress_origin`)."""
    return f"ats:{provider}"


@dataclass(slots=True)
class Outcome(Generic[T]):
    record: T | None
    created: bool = False
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Context:
    session: AsyncSession
    company_id: int
    provider: str
    occurred_at: datetime | None = None
    notes: list[str] = field(default_factory=list)
    require_known_stages: bool = False
    """Refuse a stage the posting lacks instead of adding it (the caller may not edit postings)."""
    lenient: bool = False
    """A webhook rather than a partner's call: a value that cannot be kept (an address another
    applicant holds) is dropped with a note instead of failing the whole change."""
    may_add_people: bool = True
    """Someone an interview names who is not one of the company's people may be added (a partner's
    key without `users:write` may not)."""
    touched: list[str] = field(default_factory=list)
    """Records created or changed as part of a change about another (an application's candidate)."""

    @property
    def origin(self) -> str:
        return origin_of(self.provider)

    @property
    def vendor_time(self) -> datetime | None:
        """The provider's time of this change, when it is not in the future (a clock ahead of
        ours is not believed for a record's dates)."""
        return believed(self.occurred_at)

    def note(self, message: str) -> None:
        self.notes.append(message)

    def touch(self, message: str) -> None:
        if message not in self.touched:
            self.touched.append(message)


def believed(at: datetime | None) -> datetime | None:
    """A provider's time for a record, unless it is in the future (then the receipt time is kept).
    A time without its offset is taken to be UTC, as `sourceUpdatedAt` is."""
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at if at is not None and at <= datetime.now(UTC) + timedelta(minutes=5) else None


def stated(data: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The fields among `names` that a change states (not None)."""
    return {name: getattr(data, name) for name in names if getattr(data, name) is not None}


async def custom_values(ctx: Context, object_type: CustomFieldObject, data: Any, given: Any) -> Any:
    """The custom field values a change sets: a partner's `custom_fields` as given (checked, and
    refused when wrong, by the record's service), over the ATS's own values that fit the
    company's fields (each misfit noted, never refusing the change). None: it sets none."""
    vendor: dict[str, Any] = {}
    if data.vendor_fields:
        vendor, notes = await acceptable(ctx.session, ctx.company_id, object_type, data.vendor_fields)
        for message in notes:
            ctx.note(f"{data.external_id}: {message}")
    if given is None:
        return vendor or None
    if not vendor or not isinstance(given, dict):
        return given
    return {**vendor, **given}
