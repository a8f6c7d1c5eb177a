"""Query and mutation fields of API keys: list, create, rotate, revoke.

All take the `admin` scope (the `api_keys` area), and reach only keys whose companies are all
among the caller's own: a key never sees or changes a key that can see more than it can. A key
cannot create a key with more than it has: no scope it does not hold, no company it cannot
see, no expiry later than its own, and no freedom from trusted documents if it is bound to them.

The secret of a key is in the payload of `apiKeyCreate` and `apiKeyRotate`, once, and nowhere
else: not in `ApiKey`, not in the audit log, not in any log line.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import strawberry
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info

from service.auth import service
from service.auth.models import ApiKey as ApiKeyModel
from service.auth.scopes import ALL_SCOPES, API_KEYS_AREA, MissingScope, Principal
from service.auth.types import ApiKey, ApiKeyStatus
from service.companies.models import Company
from service.errors import Collector, ErrorCode
from service.graphql.arguments import After, Before, First, Last
from service.graphql.context import Context
from service.graphql.mutations import INPUT, UserError, decode_id, run
from service.graphql.pagination import SortKey, apply_page, cursor_of, finish_page
from service.graphql.relay import Connection, Edge, PageInfo, forbidden

DEFAULT_GRACE_SECONDS = int(service.DEFAULT_ROTATION_GRACE.total_seconds())
MAX_GRACE_SECONDS = int(service.MAX_ROTATION_GRACE.total_seconds())


@strawberry.input(description="Conditions API keys must all meet.")
class ApiKeyFilter:
    status: list[ApiKeyStatus] | None = strawberry.field(default=None, description="Only keys in these statuses.")
    prefix: str | None = strawberry.field(
        default=None, description="Only keys whose `prefix` starts with this (e.g. the start of a leaked secret)."
    )


def _status_condition(status: ApiKeyStatus) -> ColumnElement[bool]:
    k = ApiKeyModel
    if status is ApiKeyStatus.REVOKED:
        return k.revoked_at.is_not(None)
    if status is ApiKeyStatus.EXPIRED:
        return and_(k.revoked_at.is_(None), k.expires_at <= func.now())
    return and_(k.revoked_at.is_(None), or_(k.expires_at.is_(None), k.expires_at > func.now()))


def _conditions(f: ApiKeyFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    out: list[ColumnElement[bool]] = []
    if f.status is not None:
        out.append(or_(*(_status_condition(s) for s in f.status)) if f.status else ApiKeyModel.id.is_(None))
    if f.prefix is not None:
        out.append(ApiKeyModel.prefix.startswith(f.prefix[: service.PREFIX_LENGTH], autoescape=True))
    return out


def _require_admin(principal: Principal) -> None:
    try:
        principal.require(API_KEYS_AREA)
    except MissingScope as exc:
        raise forbidden(exc) from None


# --- inputs and payloads --------------------------------------------------------------------


@strawberry.input(description="A new API key.")
class ApiKeyCreateInput:
    name: str = strawberry.field(description="A name to recognise the key by (at most 200 characters).")
    company_ids: list[strawberry.ID] = strawberry.field(
        description="The companies the key may see: at least one, each one the calling key sees."
    )
    scopes: list[str] = strawberry.field(
        description=f"What the key may do: {', '.join(f'`{s}`' for s in ALL_SCOPES)}; each one the calling key holds."
    )
    expires_at: datetime | None = strawberry.field(
        default=None,
        description=(
            "When the key stops working; null: never. A key that expires may create only keys that expire no later."
        ),
    )
    trusted_documents_only: bool = strawberry.field(
        default=False,
        description=(
            "The key may run only registered trusted documents. Required when the calling key is bound to them."
        ),
    )


@strawberry.input(description="The API key to revoke.")
class ApiKeyRevokeInput:
    id: strawberry.ID = strawberry.field(description="The key (`ApiKey.id`).")


@strawberry.input(description="The API key to give a new secret.")
class ApiKeyRotateInput:
    id: strawberry.ID = strawberry.field(description="The key (`ApiKey.id`).")
    grace_seconds: int = strawberry.field(
        default=DEFAULT_GRACE_SECONDS,
        description=(
            f"How long the current secret keeps working beside the new one: 0 (it stops at once) to "
            f"{MAX_GRACE_SECONDS} (7 days); default {DEFAULT_GRACE_SECONDS} (24 h). A secret an earlier rotation "
            "replaced stops at once."
        ),
    )


@strawberry.type(description="A new API key with its secret, shown this once.")
class ApiKeyCreatePayload:
    api_key: ApiKey | None = strawberry.field(description="The key, unless refused.")
    secret: str | None = strawberry.field(
        description="The secret (`hg_…`), to send as `Authorization: Bearer <secret>`: shown only here. Store it now."
    )
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="An API key's new secret, shown this once.")
class ApiKeyRotatePayload:
    api_key: ApiKey | None = strawberry.field(description="The key, unless refused.")
    secret: str | None = strawberry.field(
        description=(
            "The new secret (`hg_…`): shown only here. The previous one works too until "
            "`apiKey.previousSecretExpiresAt`."
        )
    )
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of revoking an API key.")
class ApiKeyRevokePayload:
    api_key: ApiKey | None = strawberry.field(description="The key as it is now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


# --- the fields -----------------------------------------------------------------------------


@strawberry.type
class Query:
    @strawberry.field(
        description=(
            "The API keys whose companies are all among this key's, oldest first, revoked and expired ones "
            "included. Needs the `admin` scope."
        )
    )
    async def api_keys(
        self,
        info: Info[Context, None],
        filter: Annotated[ApiKeyFilter | None, strawberry.argument(description="Conditions every item meets.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ApiKey]:
        principal: Principal = info.context.principal
        _require_admin(principal)
        args = info.context.page_args(first, after, last, before)
        conditions = [service.visible_to(principal.company_ids), *_conditions(filter)]
        sort = SortKey("id", None, ApiKeyModel.__table__.c.id)
        engine = info.context.engine
        async with engine.connect() as conn:
            rows = (
                await conn.execute(apply_page(select(*service.view_columns()).where(*conditions), sort, args))
            ).all()
        page = finish_page(rows, args)
        nodes = [ApiKey.of(service.view_of(row)) for row in page.rows]
        edges = [Edge(cursor=cursor_of(sort, row), node=node) for row, node in zip(page.rows, nodes, strict=True)]

        async def total() -> int:
            async with engine.connect() as conn:
                return int(await conn.scalar(select(func.count()).select_from(ApiKeyModel).where(*conditions)) or 0)

        return Connection(
            edges=edges,
            nodes=nodes,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=page.has_previous,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            _total=total,
        )


def _forget(info: Info[Context, None], api_key_id: int) -> None:
    """This process forgets the key at once (the others on its NOTIFY, within milliseconds)."""
    cache = info.context.principal_cache
    if cache is not None:
        cache.forget(api_key_id)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description=(
            "Create an API key (admin scope) for companies, with scopes, this key has; the payload carries its "
            "secret, shown this once."
        )
    )
    async def api_key_create(
        self, info: Info[Context, None], input: Annotated[ApiKeyCreateInput, INPUT]
    ) -> ApiKeyCreatePayload:
        principal: Principal = info.context.principal

        async def work(session: AsyncSession) -> tuple[service.KeyView, str]:
            problems = Collector()
            service.check_new_key(problems, input.name, input.company_ids, input.scopes, input.expires_at)
            company_ids: list[int] = []
            for i, value in enumerate(input.company_ids):
                pk = decode_id(value, "Company", f"companyIds.{i}")
                if pk not in principal.company_ids:
                    problems.add(ErrorCode.NOT_FOUND, "company not found", f"companyIds.{i}")
                company_ids.append(pk)
            known = set((await session.scalars(select(Company.id).where(Company.id.in_(company_ids)))).all())
            for i, pk in enumerate(company_ids):
                if pk in principal.company_ids and pk not in known:
                    problems.add(ErrorCode.NOT_FOUND, "company not found", f"companyIds.{i}")
            beyond = sorted(s for s in set(input.scopes) if s in ALL_SCOPES and not principal.grants(s))
            if beyond:
                problems.add(
                    ErrorCode.FORBIDDEN, f"this API key cannot grant scopes it lacks: {', '.join(beyond)}", "scopes"
                )
            if principal.trusted_documents_only and not input.trusted_documents_only:
                problems.add(
                    ErrorCode.FORBIDDEN,
                    "a key limited to trusted documents creates only keys limited to them",
                    "trustedDocumentsOnly",
                )
            if principal.expires_at is not None and (
                input.expires_at is None or input.expires_at > principal.expires_at
            ):
                problems.add(
                    ErrorCode.FORBIDDEN,
                    f"this API key expires at {principal.expires_at.isoformat()}; a key it creates may not outlive it",
                    "expiresAt",
                )
            problems.raise_if_any()
            key, secret = await service.create_api_key(
                session,
                name=input.name,
                company_ids=company_ids,
                scopes=input.scopes,
                trusted_documents_only=input.trusted_documents_only,
                expires_at=input.expires_at,
            )
            return await service.view(session, key.id), secret

        result, errors = await run(info, API_KEYS_AREA, work)
        view, secret = result if result is not None else (None, None)
        return ApiKeyCreatePayload(api_key=ApiKey.of(view) if view else None, secret=secret, errors=errors)

    @strawberry.mutation(
        description=(
            "Revoke an API key (admin scope): every server process refuses it within a second, and its open "
            "subscriptions are closed (`4403`). Revoking a revoked key changes nothing. A key may revoke itself."
        )
    )
    async def api_key_revoke(
        self, info: Info[Context, None], input: Annotated[ApiKeyRevokeInput, INPUT]
    ) -> ApiKeyRevokePayload:
        principal: Principal = info.context.principal

        async def work(session: AsyncSession) -> service.KeyView:
            key = await service.locked_key(session, principal.company_ids, decode_id(input.id, "ApiKey", "id"), "id")
            if key.revoked_at is None:
                await service.revoke(session, key.id)
            return await service.view(session, key.id)

        view, errors = await run(info, API_KEYS_AREA, work)
        if view is not None:
            _forget(info, view.id)
        return ApiKeyRevokePayload(api_key=ApiKey.of(view) if view else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Give an API key a new secret (admin scope), shown this once. The current secret keeps working for "
            "`graceSeconds`, then every server process refuses it within a second."
        )
    )
    async def api_key_rotate(
        self, info: Info[Context, None], input: Annotated[ApiKeyRotateInput, INPUT]
    ) -> ApiKeyRotatePayload:
        principal: Principal = info.context.principal

        async def work(session: AsyncSession) -> tuple[service.KeyView, str]:
            key = await service.locked_key(session, principal.company_ids, decode_id(input.id, "ApiKey", "id"), "id")
            grace = timedelta(seconds=input.grace_seconds)
            service.check_rotatable(key, grace)
            secret = await service.rotate(session, key, grace)
            return await service.view(session, key.id), secret

        result, errors = await run(info, API_KEYS_AREA, work)
        view, secret = result if result is not None else (None, None)
        if view is not None:
            _forget(info, view.id)
        return ApiKeyRotatePayload(api_key=ApiKey.of(view) if view else None, secret=secret, errors=errors)
