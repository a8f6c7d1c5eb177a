"""Who acts on an application: a person of the company, or a key or system by name."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a person of the company (their name as it is now is kept on the record), or
    a key or system by name alone."""

    name: str | None
    user_id: int | None = None


ActorLike = Actor | str | None
"""A service's `actor`: an `Actor`, or a name alone (a key, a system, a partner's string)."""


def as_actor(actor: ActorLike) -> Actor:
    return actor if isinstance(actor, Actor) else Actor(actor)
