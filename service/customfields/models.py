"""Custom fields: a company's own typed fields on applicants, applications, postings and offers
(Greenhouse's custom fields, Ashby's `customField`, Merge's field mappings).

A definition names its object type, an immutable `key` (what values are stored under, as
Greenhouse's `name_key`), a label, a value type and, for choices, its options. Values live on the
records themselves, in a JSON object keyed by `key` (`custom_fields_column`), so they are read
with the record, indexed for filters, and carried in its events and upserts.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Boolean, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TimestampMixin, company_fk, str_enum
from service.db.fields import declare

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
MAX_OPTIONS = 200
OPTION_LENGTH = 200
MAX_FIELDS = 200
"""Definitions per company and object type: a record's values stay a small object."""


class CustomFieldObject(enum.Enum):
    APPLICANT = "APPLICANT"
    APPLICATION = "APPLICATION"
    POSTING = "POSTING"
    OFFER = "OFFER"


class CustomFieldType(enum.Enum):
    TEXT = "TEXT"
    LONG_TEXT = "LONG_TEXT"
    NUMBER = "NUMBER"
    DATE = "DATE"
    BOOLEAN = "BOOLEAN"
    SINGLE_SELECT = "SINGLE_SELECT"
    MULTI_SELECT = "MULTI_SELECT"
    CURRENCY = "CURRENCY"
    USER = "USER"
    URL = "URL"


HOLDS_VALUES = "custom_fields <> '{}'::jsonb"
"""The records a `values_index` covers: those with a value (a filter on a value implies it, and
says so, `service.customfields.filters`, so the index serves it)."""


def values_index(table: str) -> Index:
    """The GIN index of a table's `custom_fields`, over the records that hold values only: most
    hold none, and a backfill's rows then cost it nothing."""
    return Index(
        f"ix_{table}_custom_fields", "custom_fields", postgresql_using="gin", postgresql_where=text(HOLDS_VALUES)
    )


def custom_fields_column(*, personal: bool) -> Mapped[dict[str, Any]]:
    """A record's custom field values: `{key: value}`; `personal` when the record is about a
    person (its values are emptied when the person is erased)."""
    return mapped_column(
        JSONB,
        server_default=text("'{}'"),
        info=declare(
            "Values of the company's custom fields (`customFields` of the root lists their definitions), "
            "keyed by each field's `key`: text, a number, a `YYYY-MM-DD` date, a boolean, an option, a list "
            "of options, `{amount, currency}`, a user's ID or a URL, as the field's `valueType` says.",
            write="always",
            personal=personal,
            erased={},
            input_note="On update, the keys given are set (null removes one) and the others stay.",
        ),
    )


class CustomField(IdMixin, TimestampMixin, Base):
    __tablename__ = "custom_fields"
    __table_args__ = (
        UniqueConstraint("company_id", "object_type", "key"),
        Index("ix_custom_fields_company_id_updated_at", "company_id", "updated_at", "id"),
    )

    company_id: Mapped[int] = company_fk(index=False)
    object_type: Mapped[CustomFieldObject] = mapped_column(
        str_enum(CustomFieldObject, "custom_field_object"),
        info=declare("The records it is on.", write="create", required=True),
    )
    key: Mapped[str] = mapped_column(
        String(63),
        info=declare(
            "The field's name in values, filters, events and upserts: lower-case letters, digits and `_`, "
            "starting with a letter; unique per object type in the company, and never changed (rename `name`).",
            write="create",
            required=True,
            max_length=63,
        ),
    )
    name: Mapped[str] = mapped_column(
        String(200),
        info=declare("The label people see.", write="always", required=True, max_length=200),
    )
    description: Mapped[str | None] = mapped_column(
        Text, info=declare("What it is for.", write="always", max_length=2000)
    )
    value_type: Mapped[CustomFieldType] = mapped_column(
        str_enum(CustomFieldType, "custom_field_type"),
        info=declare("The type of its values; never changed.", write="create", required=True),
    )
    options: Mapped[list[str]] = mapped_column(
        ARRAY(Text),
        server_default=text("'{}'"),
        info=declare(
            "The choices of a SINGLE_SELECT or MULTI_SELECT field, in order; an option can be added, "
            "never removed or renamed (values hold it).",
            write="always",
        ),
    )
    archived: Mapped[bool] = mapped_column(
        Boolean,
        server_default=false(),
        info=declare("No longer written: values are kept and read, new ones refused.", write="always", default=False),
    )
