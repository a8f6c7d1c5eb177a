"""GraphQL types of API keys. No type here holds a secret or its hash: a secret appears only in
the payloads of `apiKeyCreate` and `apiKeyRotate` (`service.auth.schema`)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import Info

from service.auth.service import KeyView
from service.graphql.context import Context
from service.ids import to_global_id

if TYPE_CHECKING:
    from service.companies.types import Company

COMPANY = Annotated["Company", strawberry.lazy("service.companies.types")]


@strawberry.enum(description="Whether an API key works.")
class ApiKeyStatus(enum.Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="The key works.")
    EXPIRED = strawberry.enum_value("EXPIRED", description="`expiresAt` has passed: the key is refused.")
    REVOKED = strawberry.enum_value("REVOKED", description="The key was revoked: it is refused, for good.")


@strawberry.type(
    description=(
        "An API key: its name, what it may do, for which companies, and its life. Never its secret: "
        "that is shown once, by `apiKeyCreate` or `apiKeyRotate`."
    )
)
class ApiKey:
    id: strawberry.ID = strawberry.field(
        description="The key's global ID, as `apiKeyRevoke` and `apiKeyRotate` take it."
    )
    number: int = strawberry.field(
        description="The key's number: `AuditEvent.apiKeyId` and `auditEvents(filter: {apiKeyIds})` use it."
    )
    name: str = strawberry.field(description="The name the key was given, to recognise it by.")
    prefix: str = strawberry.field(
        description="The first 10 characters of the current secret (`hg_…`): enough to recognise it, too few to use it."
    )
    scopes: list[str] = strawberry.field(description="What the key may do, e.g. `postings:read`, `admin`.")
    trusted_documents_only: bool = strawberry.field(
        description="Whether the key may run only documents registered as trusted."
    )
    status: ApiKeyStatus = strawberry.field(description="Whether the key works now.")
    created_at: datetime = strawberry.field(description="When the key was created.")
    expires_at: datetime | None = strawberry.field(description="When the key stops working; null: never.")
    revoked_at: datetime | None = strawberry.field(description="When the key was revoked; null unless revoked.")
    previous_secret_expires_at: datetime | None = strawberry.field(
        description=("After a rotation, when the secret it replaced stops working; null when no replaced secret works.")
    )
    last_used_at: datetime | None = strawberry.field(
        description=(
            "When the key last authenticated a request, to the minute (recorded at most once a minute per server "
            "process, in the background); null if never."
        )
    )
    company_pks: strawberry.Private[tuple[int, ...]]

    @strawberry.field(description="The companies the key may see.")
    async def companies(self, info: Info[Context, None]) -> list[COMPANY]:
        found = await info.context.loaders.one("Company").load_many(list(self.company_pks))
        return [c for c in found if c is not None]

    @classmethod
    def of(cls, key: KeyView) -> ApiKey:
        now = datetime.now(UTC)
        status = ApiKeyStatus.ACTIVE
        if key.revoked_at is not None:
            status = ApiKeyStatus.REVOKED
        elif key.expires_at is not None and key.expires_at <= now:
            status = ApiKeyStatus.EXPIRED
        previous = key.previous_valid_until
        return cls(
            id=strawberry.ID(to_global_id("ApiKey", key.id)),
            number=key.id,
            name=key.name,
            prefix=key.prefix,
            scopes=list(key.scopes),
            trusted_documents_only=key.trusted_documents_only,
            status=status,
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            previous_secret_expires_at=previous if previous is not None and previous > now else None,
            last_used_at=key.last_used_at,
            company_pks=key.company_ids,
        )
