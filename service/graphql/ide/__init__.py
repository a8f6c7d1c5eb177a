"""GraphiQL served by Hiregraph itself: a page and its assets, with no CDN and no network.

The scripts and styles are GraphiQL's and React's own browser bundles, vendored byte for byte
from the npm registry at the versions pinned in `vendor.json` (`fetch_assets` re-fetches and
verifies them). Each asset is served under a path holding its content hash, so browsers may
cache it for good, and each script tag carries its subresource integrity. The page's own
bootstrap is a file too, so the Content-Security-Policy allows scripts from this origin only,
with nothing inline.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ASSETS_PATH = "/graphiql/assets"
HERE = Path(__file__).resolve().parent
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
IMMUTABLE = "public, max-age=31536000, immutable"
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        # GraphiQL's stylesheet embeds its fonts and icons as data: URLs.
        "font-src 'self' data:",
        "img-src 'self' data:",
        # 'self' covers the same origin's WebSocket (subscriptions) as well.
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "cache-control": "no-cache",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


@dataclass(frozen=True)
class Asset:
    """One file the page loads, kept in memory (about 1.6 MB in all)."""

    name: str
    body: bytes
    media_type: str
    digest: str = field(init=False)
    integrity: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "digest", hashlib.sha256(self.body).hexdigest()[:20])
        sri = base64.b64encode(hashlib.sha384(self.body).digest()).decode()
        object.__setattr__(self, "integrity", f"sha384-{sri}")

    @property
    def url(self) -> str:
        return f"{ASSETS_PATH}/{self.digest}/{self.name}"

    @functools.cached_property
    def gzipped(self) -> bytes:
        return gzip.compress(self.body, mtime=0)


@functools.cache
def assets() -> dict[str, Asset]:
    """The scripts and stylesheets of the page by file name: the vendored ones and our own."""
    files = [*sorted((HERE / "vendor").iterdir()), HERE / "graphiql.css", HERE / "graphiql-boot.js"]
    return {
        path.name: Asset(path.name, path.read_bytes(), MEDIA_TYPES[path.suffix])
        for path in files
        if path.suffix in MEDIA_TYPES
    }


@functools.cache
def _page_html() -> bytes:
    found = assets()

    def script(name: str) -> str:
        return f'<script src="{found[name].url}" integrity="{found[name].integrity}"></script>'

    def stylesheet(name: str) -> str:
        return f'<link rel="stylesheet" href="{found[name].url}" integrity="{found[name].integrity}">'

    template = Template((HERE / "graphiql.html").read_text())
    return template.substitute(
        stylesheets="\n    ".join(stylesheet(n) for n in ("graphiql.min.css", "graphiql.css")),
        scripts="\n    ".join(
            script(n)
            for n in ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "graphiql-boot.js")
        ),
    ).encode()


def graphiql_page() -> Response:
    """The GraphiQL page, querying this origin's `/graphql` with the headers typed into it."""
    return Response(_page_html(), media_type="text/html", headers=PAGE_HEADERS)


async def serve_asset(request: Request) -> Response:
    """One asset, by content hash and name; any other hash is not found, never a stale file."""
    asset = assets().get(request.path_params["name"])
    if asset is None or asset.digest != request.path_params["digest"]:
        return Response(b"not found", 404, media_type="text/plain")
    headers = {"cache-control": IMMUTABLE, "x-content-type-options": "nosniff", "vary": "accept-encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(asset.gzipped, media_type=asset.media_type, headers={**headers, "content-encoding": "gzip"})
    return Response(asset.body, media_type=asset.media_type, headers=headers)


def graphiql_routes() -> list[Route]:
    """The routes of the assets; mount them only where GraphiQL is served (not in production)."""
    return [Route(ASSETS_PATH + "/{digest}/{name}", serve_asset, methods=["GET", "HEAD"])]
