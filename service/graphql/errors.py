"""Masks unexpected exceptions: clients get a generic message and an error id, logs get the rest."""

from __future__ import annotations

import logging
import uuid

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from service.db.availability import unavailable
from service.db.replicas import conflict

log = logging.getLogger("service.graphql")


def is_unexpected(error: GraphQLError) -> bool:
    """An error raised by our code on purpose is a GraphQLError itself; anything else is a bug."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
"""The code of a request answered 503 because the database could not be reached."""


class MaskUnexpectedErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Internal server error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if unavailable(error.original_error) or conflict(error.original_error):
            # The endpoint answers the whole request 503 and logs the outage once; a read replica's
            # conflict (`conflict`) has the query answered again by the primary instead.
            return GraphQLError(
                message="the database cannot be reached",
                nodes=error.nodes,
                path=error.path,
                original_error=None,
                extensions={
                    "code": DATABASE_UNAVAILABLE,
                    **({"conflict": True} if conflict(error.original_error) else {}),
                },
            )
        error_id = uuid.uuid4().hex
        log.error(
            "unexpected error %s at %s",
            error_id,
            error.path,
            exc_info=error.original_error,
            extra={"error_id": error_id},
        )
        return GraphQLError(
            message=f"Internal server error (error id {error_id}).",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
        )
