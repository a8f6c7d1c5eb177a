"""The recruiter app (`web/`, built to `web/dist` by `make run`), served by `hiregraph serve`
from the same origin as the API, so its requests need no CORS and its cookie stays first-party.

Every page is sent with a strict Content-Security-Policy: scripts, styles, fonts and
connections from this origin only, no inline script or style, no framing, no plugins, forms
posting only here. Hashed assets are cached for a year; the page itself never is, so a new
build is picked up on the next load. The app's own paths (`APP_PATHS`, which it routes in the
browser) get the page; every other path is left to the API's routes (a `GET` of a `POST`-only
route still gets its 405), and unknown ones get 404.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

DIST = Path(__file__).resolve().parents[1] / "web" / "dist"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
"""What the app's pages may load; `connect-src 'self'` covers the API and its WebSocket."""
APP_PATHS = ("/postings", "/applicants", "/import", "/admin")
"""The first segments of the app's own routes (web/src/main.tsx), besides `/`."""
PAGE_CSP = "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
"""For Hiregraph's own server-rendered pages (sign-in refusals, development sign-in): no script,
no style, nothing loaded."""
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


class _Assets(StaticFiles):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                if message.get("status") == 200:
                    headers.append((b"cache-control", b"public, max-age=31536000, immutable"))
                message = {**message, "headers": headers}
            await send(message)

        await super().__call__(scope, receive, send_with_headers)


def routes(dist: Path = DIST) -> list[BaseRoute]:
    """The app's routes, to go last: its assets, and its page for every other GET."""
    index = dist / "index.html"

    async def page(request: Request) -> Response:
        if not index.is_file():
            return PlainTextResponse(
                "The web app is not built: `make run` builds it "
                "(or `npm --prefix web ci && npm --prefix web run build`).",
                status_code=503,
            )
        return FileResponse(index, headers={**SECURITY_HEADERS, "cache-control": "no-cache"})

    out: list[BaseRoute] = []
    if (dist / "assets").is_dir():
        out.append(Mount("/assets", app=_Assets(directory=dist / "assets")))
    out.append(Route("/", page, methods=["GET", "HEAD"]))
    for prefix in APP_PATHS:
        out.append(Route(prefix, page, methods=["GET", "HEAD"]))
        out.append(Route(prefix + "/{rest:path}", page, methods=["GET", "HEAD"]))
    return out
