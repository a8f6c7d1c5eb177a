"""The `hiregraph` command: serve, worker, migrate, seed-demo, recount, export-schema, api-key, documents,
import-posting."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from service.settings import Settings

if TYPE_CHECKING:
    from service.db.engine import Database


def _database(settings: Settings) -> Database:
    from service.db.engine import Database

    if settings.production and not settings.database_url:
        # The embedded PostgreSQL is for development; in production a missing URL is a mistake.
        raise SystemExit("hiregraph: DATABASE_URL is required when HIREGRAPH_ENV=production")
    return Database.open(settings)


def cmd_export_schema(_: argparse.Namespace, __: Settings) -> int:
    from service.graphql.schema import build_schema

    sys.stdout.write(build_schema().as_str() + "\n")
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from service.db import migrate

    db = _database(settings)
    if args.revision.startswith("-") or args.down:
        migrate.downgrade(db.url, args.revision)
    else:
        migrate.upgrade(db.url, args.revision)
    print(f"migrated to {args.revision}")
    return 0


def cmd_seed_demo(_: argparse.Namespace, settings: Settings) -> int:
    from service.demo.seed import seed_demo

    db = _database(settings)
    key = asyncio.run(seed_demo(db.url, settings))
    print(f"demo data loaded; demo API key:\n{key}")
    return 0


def cmd_recount(args: argparse.Namespace, settings: Settings) -> int:
    from service.applications.counts import Busy, differing, recount

    db = _database(settings)
    if args.check:
        wrong = asyncio.run(differing(db.url))
        if wrong:
            print(f"application counts: {wrong} wrong; `hiregraph recount` rebuilds them")
            return 1
        print("application counts agree")
        return 0
    try:
        rebuilt = asyncio.run(recount(db.url))
    except Busy as exc:
        print(f"hiregraph recount: {exc}", file=sys.stderr)
        return 1
    print(f"application counts rebuilt: {rebuilt} were wrong" if rebuilt else "application counts agree")
    return 0


def cmd_documents_register(args: argparse.Namespace, settings: Settings) -> int:
    from service.documents.cli import register_files

    db = _database(settings)
    try:
        registered = asyncio.run(register_files(db.url, args.files))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, sha256 in registered:
        print(f"sha256:{sha256}  {name}")
    print(f"registered {len(registered)} trusted document(s)")
    return 0


def cmd_documents_list(_: argparse.Namespace, settings: Settings) -> int:
    from service.documents.cli import list_trusted

    db = _database(settings)
    for name, sha256 in asyncio.run(list_trusted(db.url)):
        print(f"sha256:{sha256}  {name or ''}".rstrip())
    return 0


def cmd_api_key_create(args: argparse.Namespace, settings: Settings) -> int:
    from service.auth.cli import create_key

    db = _database(settings)
    scopes = [s for group in args.scope for s in group.replace(",", " ").split()]
    try:
        secret = asyncio.run(
            create_key(
                db.url,
                args.name,
                args.company,
                scopes,
                trusted_documents_only=args.trusted_documents_only,
                expires_at=args.expires_at,
            )
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"created API key {args.name!r} for {', '.join(args.company)} with scopes {', '.join(scopes)}")
    print("store this secret now; it is not shown again:")
    print(secret)
    return 0


def cmd_api_key_list(args: argparse.Namespace, settings: Settings) -> int:
    from service.auth.cli import list_keys

    db = _database(settings)
    rows = asyncio.run(list_keys(db.url, include_revoked=args.all))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def cmd_api_key_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from service.auth.cli import revoke_key

    db = _database(settings)
    try:
        key = asyncio.run(revoke_key(db.url, args.key))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    when = key.revoked_at.isoformat() if key.revoked_at is not None else "?"
    print(f"revoked API key {key.id} ({key.prefix}…, {key.name!r}) at {when}; every server refuses it within a second")
    return 0


def _aware_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError("give a time zone, e.g. 2027-01-31T00:00:00Z")
    return parsed


def cmd_sign_in_provider(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.ext.asyncio import AsyncSession

    from service.db.engine import Database
    from service.signin.service import configure_provider

    secret = os.environ.get("HIREGRAPH_OIDC_CLIENT_SECRET") or None
    db = _database(settings)

    async def configure() -> int:
        engine = Database(db.url).engine(settings)
        try:
            async with AsyncSession(engine) as session, session.begin():
                return await configure_provider(session, args.company, args.issuer, args.client_id, secret)
        finally:
            await engine.dispose()

    try:
        asyncio.run(configure())
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    kind = "confidential client (secret from HIREGRAPH_OIDC_CLIENT_SECRET)" if secret else "public client (PKCE)"
    print(f"people of {args.company} now sign in through {args.issuer} as {kind}")
    print(f"register this redirect URI with the provider: {settings.public_url or '<public URL>'}/auth/callback")
    return 0


def cmd_import_posting(args: argparse.Namespace, settings: Settings) -> int:
    from service.postings.importing.cli import run_import
    from service.postings.importing.text import SourceFormat

    db = _database(settings)
    source = None if args.format == "auto" else SourceFormat[args.format.upper()]
    return run_import(db.url, args.paths, company_slug=args.company, dry_run=args.dry_run, format=source)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from service.app import create_app
    from service.db import migrate
    from service.observability.collector import long_lived

    db = _database(settings)
    if args.migrate:
        migrate.upgrade(db.url)
    demo_key = None
    if args.seed_demo:
        from service.demo.seed import seed_demo

        demo_key = asyncio.run(seed_demo(db.url, settings))
    app = create_app(settings, db.url)
    if args.with_worker:
        from service.bulk.lines import LineApplier
        from service.webhooks.worker import attach_worker

        attach_worker(app, db.url, settings, LineApplier(app.state.schema))
    print(f"Hiregraph serving at http://{settings.host}:{settings.port}/graphql", flush=True)
    if args.with_worker:
        print("delivering webhooks in this process (--with-worker)", flush=True)
    if demo_key:
        print(f"demo API key (send as `Authorization: Bearer <key>`): {demo_key}", flush=True)
    from service.webapp import DIST

    if (DIST / "index.html").is_file():
        signing_in = "development sign-in at /auth/dev" if settings.dev_sign_in else "people sign in at /auth/sign-in"
        print(f"recruiter app at http://{settings.host}:{settings.port}/ ({signing_in})", flush=True)
    # uvicorn re-raises SIGTERM after its graceful shutdown; exiting normally instead lets the
    # embedded PostgreSQL be stopped by its exit handler.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    long_lived()  # everything is built: kept out of the collector's full passes
    # log_config=None keeps the process's logging (JSON in production) for uvicorn's lines too; the
    # graceful shutdown is bounded so a client holding a connection cannot stall a rollout.
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=int(settings.request_timeout) + 5,
    )
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from service.bulk.lines import LineApplier
    from service.db import migrate
    from service.graphql.schema import build_schema
    from service.observability.collector import long_lived
    from service.webhooks.worker import run_worker

    db = _database(settings)
    lines = LineApplier(build_schema())
    if args.migrate:
        migrate.upgrade(db.url)
    print("Hiregraph webhook worker running; SIGINT or SIGTERM stops it gracefully", flush=True)
    long_lived()
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is installed wherever it builds
        asyncio.run(run_worker(db.url, settings, lines))
    else:
        uvloop.run(run_worker(db.url, settings, lines))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hiregraph", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the GraphQL API")
    serve.add_argument("--migrate", action="store_true", help="apply migrations first")
    serve.add_argument("--seed-demo", action="store_true", help="load the demo data first (idempotent)")
    serve.add_argument(
        "--with-worker", action="store_true", help="deliver webhooks in this process too (see `hiregraph worker`)"
    )
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="deliver webhooks (any number may run against one database)")
    worker.add_argument("--migrate", action="store_true", help="apply migrations first")
    worker.set_defaults(func=cmd_worker)

    mig = sub.add_parser("migrate", help="apply (or revert) database migrations")
    mig.add_argument("revision", nargs="?", default="head")
    mig.add_argument("--down", action="store_true", help="downgrade to REVISION instead")
    mig.set_defaults(func=cmd_migrate)

    seed = sub.add_parser("seed-demo", help="load the demo companies, postings and applicants (idempotent)")
    seed.set_defaults(func=cmd_seed_demo)

    recounting = sub.add_parser(
        "recount", help="rebuild the kept application counts from the applications (after a data-only restore)"
    )
    recounting.add_argument(
        "--check", action="store_true", help="only say whether they agree (exit 1 when some are wrong); change nothing"
    )
    recounting.set_defaults(func=cmd_recount)

    export = sub.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    export.set_defaults(func=cmd_export_schema)

    keys = sub.add_parser("api-key", help="manage API keys")
    key_sub = keys.add_subparsers(dest="key_command", required=True)
    create = key_sub.add_parser("create", help="create a key; prints the secret alone on the last line")
    create.add_argument(
        "--company", action="append", required=True, metavar="SLUG", help="a company the key may see (repeatable)"
    )
    create.add_argument(
        "--scope",
        action="append",
        required=True,
        nargs="+",
        metavar="SCOPE",
        help="e.g. postings:read applications:write admin",
    )
    create.add_argument("--name", required=True, help="a name to recognise the key by")
    create.add_argument(
        "--trusted-documents-only",
        action="store_true",
        help="the key may run only documents registered with `hiregraph documents register`",
    )
    create.add_argument(
        "--expires-at", type=_aware_time, metavar="TIME", help="when the key stops working (ISO 8601 with a zone)"
    )
    create.set_defaults(func=cmd_api_key_create)
    listing_keys = key_sub.add_parser(
        "list", help="list the keys (number, prefix, name, status, companies, scopes, times); never a secret"
    )
    listing_keys.add_argument("--all", action="store_true", help="include revoked keys")
    listing_keys.set_defaults(func=cmd_api_key_list)
    revoking = key_sub.add_parser("revoke", help="revoke a key; every server refuses it within a second")
    revoking.add_argument("key", metavar="KEY", help="the key's number (see `list`), its global ID, or its prefix")
    revoking.set_defaults(func=cmd_api_key_revoke)

    documents = sub.add_parser("documents", help="manage trusted (persisted) GraphQL documents")
    doc_sub = documents.add_subparsers(dest="documents_command", required=True)
    register = doc_sub.add_parser(
        "register",
        help="register trusted documents: .graphql files (one document each) or JSON manifests {sha256: document}",
    )
    register.add_argument("files", nargs="+", metavar="FILE")
    register.set_defaults(func=cmd_documents_register)
    listing = doc_sub.add_parser("list", help="list the trusted documents")
    listing.set_defaults(func=cmd_documents_list)

    sign_in = sub.add_parser("sign-in", help="how a company's people sign in")
    sign_in_sub = sign_in.add_subparsers(dest="sign_in_command", required=True)
    provider = sign_in_sub.add_parser(
        "provider",
        help="set the company's OpenID Connect provider",
        description="People of the company sign in through this provider (authorization code with PKCE). "
        "A confidential client's secret is read from HIREGRAPH_OIDC_CLIENT_SECRET, never from the command line.",
    )
    provider.add_argument("--company", required=True, metavar="SLUG")
    provider.add_argument("--issuer", required=True, metavar="URL")
    provider.add_argument("--client-id", required=True)
    provider.set_defaults(func=cmd_sign_in_provider)

    imports = sub.add_parser(
        "import-posting",
        help="create DRAFT postings from postings written as plain text, Markdown or HTML",
        description="Create a DRAFT posting from each file, and from each .txt, .md, .markdown, .html or .htm "
        "file under each folder; print a summary and the warnings. Exits 1 when a file fails.",
    )
    imports.add_argument("paths", nargs="+", metavar="FILE_OR_FOLDER")
    imports.add_argument(
        "--company",
        metavar="SLUG",
        help="the company hiring; default: the one the text names, found by name or slug, else created",
    )
    imports.add_argument("--dry-run", action="store_true", help="read and check everything, write nothing")
    imports.add_argument(
        "--format", choices=("auto", "text", "markdown", "html"), default="auto", help="how the files are written"
    )
    imports.set_defaults(func=cmd_import_posting)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "api-key" and args.key_command == "create":
        args.scope = [" ".join(group) for group in args.scope]
    settings = Settings.from_env()
    from service.observability.logs import configure_logging

    configure_logging(settings)
    # Every table, so foreign keys between domains resolve whichever services a command uses.
    import service.tables  # noqa: F401

    result: int = args.func(args, settings)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
