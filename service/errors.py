"""Business errors raised by domain services and returned in mutation payloads."""

from __future__ import annotations

import enum


class ErrorCode(enum.Enum):
    """Why a mutation refused its input. Clients switch on these, never on messages."""

    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE = "DUPLICATE"
    FORBIDDEN = "FORBIDDEN"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    POSTING_NOT_OPEN = "POSTING_NOT_OPEN"
    APPLICATION_CLOSED = "APPLICATION_CLOSED"
    STAGE_MISMATCH = "STAGE_MISMATCH"
    COMPANY_MISMATCH = "COMPANY_MISMATCH"
    STAGE_NOT_EMPTY = "STAGE_NOT_EMPTY"
    LAST_STAGE = "LAST_STAGE"
    ERASED = "ERASED"
    TOO_LARGE = "TOO_LARGE"
    UNSUPPORTED_TYPE = "UNSUPPORTED_TYPE"
    LIMIT_REACHED = "LIMIT_REACHED"


class DomainError(Exception):
    """One refused input. `field` is a dotted path into the mutation's input, or None."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class DomainErrors(Exception):
    """Several refused inputs found together (validation reports every problem at once)."""

    def __init__(self, errors: list[DomainError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


class Collector:
    """Collects validation problems, then raises them together."""

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    def add(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        self.errors.append(DomainError(code, message, field))

    def raise_if_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise DomainErrors(self.errors)


def not_found(field: str | None, what: str) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"{what} not found", field)
