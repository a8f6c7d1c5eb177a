"""The media types of GraphQL over HTTP, and which one a request asks for."""

from __future__ import annotations

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def negotiate(accept: str | None) -> str | None:
    """The response media type for an `Accept` header; None when nothing acceptable."""
    if not accept or not accept.strip():
        return JSON
    best: tuple[float, int, str] | None = None
    for index, part in enumerate(accept.split(",")):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        if media == GRAPHQL_RESPONSE:
            chosen = GRAPHQL_RESPONSE
        elif media in {JSON, "application/*", "*/*"}:
            chosen = JSON
        else:
            continue
        # Higher quality wins; on a tie, the client's first choice.
        rank = (quality, -index, chosen)
        if best is None or rank[:2] > best[:2]:
            best = rank
    return best[2] if best else None


def content_type(header: str) -> tuple[str, str | None]:
    """The media type of a `Content-Type` header, lowercased, and its charset if given."""
    media, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset
