"""Payloads of the `user.*` events (the catalogue is `service.webhooks.events`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from service.db import fields
from service.ids import to_global_id
from service.users.models import User


def user_ref(user: User) -> dict[str, Any]:
    """A person's declared fields (`models.User`)."""
    ids = {"id": to_global_id("User", user.id, user.company_id), "companyId": to_global_id("Company", user.company_id)}
    return fields.payload(User, user, ids)


def user_event(user: User) -> dict[str, Any]:
    """`user.created`."""
    return {"user": user_ref(user)}


def user_updated(user: User, changed_fields: Iterable[str] = ()) -> dict[str, Any]:
    """`user.updated`: `changed_fields` in API (camelCase) names."""
    return {"user": user_ref(user), "changedFields": sorted(changed_fields)}
