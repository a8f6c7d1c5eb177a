"""The per-request context handed to every resolver."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection

from service.auth.scopes import Principal
from service.auth.service import PrincipalCache
from service.graphql.cost import Plan
from service.graphql.loaders import Loaders
from service.graphql.pagination import PageArgs
from service.settings import Settings


@dataclass(eq=False)
class Context:
    """Who is asking, how to reach the database, and this request's loaders."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    settings: Settings
    principal: Principal
    request: HTTPConnection | None = None
    """The HTTP request or the WebSocket the operation came by."""
    response: object = None
    """Unused: Strawberry's slot for a response to adjust."""
    principal_cache: PrincipalCache | None = None
    request_id: str | None = None
    """This request's id: in logs, the `X-Request-Id` response header and audit events."""
    operation_name: str | None = None
    """The name the client gave the operation being executed, if any."""
    plan: Plan | None = None
    """The operation's plan (cost and what each root field reads), when the endpoint made one."""
    _loaders: Loaders | None = field(default=None, repr=False)

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self.engine, self.principal.company_ids, self.principal)
        return self._loaders

    def page_args(self, first: int | None, after: str | None, last: int | None, before: str | None) -> PageArgs:
        """A connection's page arguments, checked against this server's largest page
        (`Settings.max_page_size`, which the cost planner and the compiled path use too)."""
        return PageArgs.parse(first, after, last, before, max_size=self.settings.max_page_size)

    @property
    def company_ids(self) -> tuple[int, ...]:
        return self.principal.company_ids

    def grant_company(self, company_id: int) -> None:
        """Let this request (and later ones) see a company the key was just bound to."""
        self.principal = replace(self.principal, company_ids=tuple(sorted({*self.principal.company_ids, company_id})))
        self._loaders = None
        if self.principal_cache is not None and self.principal.api_key_id is not None:
            self.principal_cache.forget(self.principal.api_key_id)
