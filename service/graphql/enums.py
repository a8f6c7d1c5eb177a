"""Exposes Python enums to GraphQL with a description for the type and every value.

Each domain's `types.py` exposes its own enums when it is imported, and a module that uses
another domain's enum in a field imports that domain's `types.py` first; the kernel's
`ErrorCode` is exposed by `mutations.py`, with the `UserError` type that carries it.
"""

from __future__ import annotations

import enum

import strawberry


def expose(cls: type[enum.Enum], description: str, values: dict[str, str]) -> None:
    """Register `cls` as a GraphQL enum with a description for the type and every value."""
    missing = {m.name for m in cls} - set(values)
    if missing:
        raise ValueError(f"{cls.__name__} values need descriptions: {sorted(missing)}")
    strawberry.enum(cls, description=description)
    for value in cls.__strawberry_definition__.values:  # type: ignore[attr-defined]  # set by strawberry.enum
        value.description = values[value.name]
