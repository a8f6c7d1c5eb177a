"""Registering trusted documents from files, for the command line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import orjson
from graphql import GraphQLError, parse, validate

from service.db.engine import Database, session_factory
from service.documents.service import document_hash, register_trusted, trusted_documents
from service.graphql.schema import build_schema


def read_documents(files: Sequence[str]) -> list[tuple[str, str]]:
    """(name, body) pairs from .graphql files and JSON manifests ({sha256: body}, as
    GraphQL Code Generator and Relay write them). Every document must be valid against
    the schema and every manifest hash must match its body."""
    schema = build_schema()._schema
    documents: list[tuple[str, str]] = []
    for file in files:
        path = Path(file)
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"{file}: {exc.strerror}") from None
        if path.suffix == ".json":
            try:
                manifest = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise ValueError(f"{file}: not JSON ({exc})") from None
            if not isinstance(manifest, dict) or not all(isinstance(v, str) for v in manifest.values()):
                raise ValueError(f"{file}: a manifest maps each document's sha256 to its text")
            for sha256, body in manifest.items():
                wanted = sha256.removeprefix("sha256:")
                if document_hash(body) != wanted:
                    raise ValueError(f"{file}: the entry {sha256} does not match the SHA-256 of its document")
                documents.append((f"{path.name}#{wanted[:12]}", body))
        else:
            documents.append((path.name, raw))
    for name, body in documents:
        try:
            problems = validate(schema, parse(body))
        except GraphQLError as exc:
            raise ValueError(f"{name}: {exc.message}") from None
        if problems:
            raise ValueError(f"{name}: {problems[0].message}")
    return documents


async def register_files(url: str, files: Sequence[str]) -> list[tuple[str, str]]:
    documents = read_documents(files)
    engine = Database(url).engine(pool_size=1, max_overflow=0)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await register_trusted(session, documents)
    finally:
        await engine.dispose()


async def list_trusted(url: str) -> list[tuple[str | None, str]]:
    engine = Database(url).engine(pool_size=1, max_overflow=0)
    try:
        async with session_factory(engine)() as session:
            return await trusted_documents(session)
    finally:
        await engine.dispose()
