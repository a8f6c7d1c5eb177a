"""Scopes an API key can carry: read/write per area, and `admin`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from typing_extensions import TypeIs

AREAS = ("postings", "applicants", "applications", "users", "offers", "eeoc")
PUBLIC_AREA = "companies"
"""Every key may read the companies it is bound to; changing them takes `admin`."""
AUDIT_AREA = "audit"
"""Reading the audit log: what every key did is for the companies' administrators only."""
ERASURE_AREA = "erasure"
"""Erasing a person's data: irreversible and reaching across areas, so `admin` only."""
WEBHOOKS_AREA = "webhooks"
"""Webhook endpoints, their delivery logs and single events by ID: an endpoint receives the
payloads of every event type it subscribes to (data of every area), so `admin` only."""
INTEGRATIONS_AREA = "integrations"
"""ATS integrations and their inboxes: records of every area arrive through them, so `admin` only."""
API_KEYS_AREA = "api_keys"
"""Listing, creating, rotating and revoking API keys: a key could mint itself more power, so
`admin` only, and only over keys whose companies are all the admin's own."""
ADMIN_AREAS = (AUDIT_AREA, ERASURE_AREA, WEBHOOKS_AREA, INTEGRATIONS_AREA, API_KEYS_AREA)
"""Areas no `area:access` scope opens: only `admin` reaches them, to read or to write."""
Access = Literal["read", "write"]
ADMIN = "admin"
ALL_SCOPES = (*tuple(f"{area}:{access}" for area in AREAS for access in ("read", "write")), ADMIN)


def is_access(value: str) -> TypeIs[Access]:
    return value in ("read", "write")


class MissingScope(PermissionError):
    def __init__(self, scope: str, *, person: bool = False) -> None:
        """`person`: the caller signed in, and their role, not a key, lacks the scope."""
        who = "your role does not grant" if person else "this API key lacks"
        super().__init__(f"{who} the '{scope}' scope")
        self.scope = scope


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, one API key or one signed-in person, the companies it may see and what it
    may do there."""

    api_key_id: int | None
    """None for a signed-in person."""
    name: str
    company_ids: tuple[int, ...]
    scopes: frozenset[str]
    trusted_documents_only: bool = False
    """The key may run registered trusted documents only."""
    expires_at: datetime | None = field(default=None, compare=False)
    """When the key expires; None: never."""
    valid_until: datetime | None = field(default=None, compare=False)
    """When the secret this principal was found by stops working: the key's expiry, or the end
    of the grace period of a secret a rotation replaced. Caches keep it no longer."""
    user_id: int | None = None
    """The signed-in person (a session); None for an API key."""
    postings: tuple[int, ...] | None = None
    """A person who sees only some postings (hiring managers and interviewers: those of their
    hiring teams and interviews), and what hangs from them; None: every posting of the companies."""
    own_scorecards_only: bool = False
    """An interviewer sees the scorecards they wrote or were the interviewer of, no one else's."""
    session_id: int | None = field(default=None, compare=False)

    @property
    def bucket(self) -> int:
        """The rate-limit bucket this caller spends from: the API key's number, or a signed-in
        person's user number negated (every session of theirs shares one bucket)."""
        if self.api_key_id is not None:
            return self.api_key_id
        assert self.user_id is not None, "a principal is a key or a person"
        return -self.user_id

    def can(self, area: str, access: Access = "read") -> bool:
        if area == PUBLIC_AREA and access == "read":
            return True
        if area in ADMIN_AREAS:
            return self.is_admin
        if ADMIN in self.scopes or f"{area}:{access}" in self.scopes:
            return True
        return access == "read" and f"{area}:write" in self.scopes

    def require(self, area: str, access: Access = "read") -> None:
        if not self.can(area, access):
            scope = ADMIN if area in (PUBLIC_AREA, *ADMIN_AREAS) else f"{area}:{access}"
            raise MissingScope(scope, person=self.user_id is not None)

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.scopes

    def grants(self, scope: str) -> bool:
        """Whether this key holds `scope` or a broader one (so may hand it to a key it creates)."""
        if scope == ADMIN:
            return self.is_admin
        area, _, access = scope.partition(":")
        return is_access(access) and self.can(area, access)
