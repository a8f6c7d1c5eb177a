"""GraphiQL is served by Hiregraph itself, from pinned assets, and works with no network: over
HTTP through the ASGI app, and in a real Chromium against a real server."""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import io
import json
import tarfile
import tomllib
from collections.abc import AsyncIterator, Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import async_playwright

from bench.browser import CHROMIUM, CHROMIUM_ARGS
from service.app import create_app
from service.db.engine import Database
from service.graphql.ide import CONTENT_SECURITY_POLICY, assets, fetch_assets
from service.settings import Settings
from tests.live import LiveServer, LiveTenant, live_server, live_tenant  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
IDE = ROOT / "service" / "graphql" / "ide"
HTML = {"Accept": "text/html"}
UNAUTHORIZED = "the server responded with a status of 401"
"""Chromium's console line for the introspection refused before a key is typed."""


class References(HTMLParser):
    """Every URL the page's markup refers to, with the integrity each tag declares."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for attr in ("src", "href"):
            if found.get(attr):
                self.urls.append((tag, str(found[attr]), found.get("integrity")))


def references(html: str) -> list[tuple[str, str, str | None]]:
    parser = References()
    parser.feed(html)
    return parser.urls


@pytest.fixture
async def client_for(migrated_url: str, tmp_path: Path) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """A client of the real app built for an environment (`development`, `production`)."""
    made: list[tuple[httpx.AsyncClient, Any]] = []

    def make(environment: str) -> httpx.AsyncClient:
        engine = Database(migrated_url).engine()
        app = create_app(Settings(data_dir=tmp_path, environment=environment), migrated_url, engine=engine)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")
        made.append((client, engine))
        return client

    yield make
    for client, engine in made:
        await client.aclose()
        await engine.dispose()


async def test_the_page_and_every_asset_it_names_are_served_by_hiregraph(client_for):
    client = client_for("development")
    page = await client.get("/graphql", headers=HTML)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert page.headers["cache-control"] == "no-cache"
    assert "<script>" not in page.text and " style=" not in page.text  # nothing inline for the CSP to allow

    icon, *urls = references(page.text)
    assert icon == ("link", "data:,", None)  # an empty icon, so the browser asks for no /favicon.ico
    assert [(tag, url.rsplit("/", 1)[-1]) for tag, url, _ in urls] == [
        ("link", "graphiql.min.css"),
        ("link", "graphiql.css"),
        ("script", "react.production.min.js"),
        ("script", "react-dom.production.min.js"),
        ("script", "graphiql.min.js"),
        ("script", "graphiql-boot.js"),
    ]
    for tag, url, integrity in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and url.startswith("/graphiql/assets/"), url
        r = await client.get(url, headers={"Accept-Encoding": "identity"})
        assert r.status_code == 200, url
        expected_type = "text/css; charset=utf-8" if tag == "link" else "text/javascript; charset=utf-8"
        assert r.headers["content-type"] == expected_type
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "content-encoding" not in r.headers
        assert integrity == "sha384-" + base64.b64encode(hashlib.sha384(r.content).digest()).decode()
        # The content hash in the path is the asset's own: a new file gets a new URL.
        assert url.split("/")[3] == hashlib.sha256(r.content).hexdigest()[:20]


async def test_vendored_assets_are_served_byte_for_byte_as_pinned(client_for):
    client = client_for("development")
    pins = {name: spec["sha256"] for pin in fetch_assets.load_manifest() for name, spec in pin.files.items()}
    served = assets()
    for name in ("graphiql.min.js", "graphiql.min.css", "react.production.min.js", "react-dom.production.min.js"):
        r = await client.get(served[name].url)
        assert hashlib.sha256(r.content).hexdigest() == pins[name], name


async def test_assets_are_gzipped_for_clients_that_accept_it(client_for):
    client = client_for("development")
    asset = assets()["graphiql.min.js"]
    r = await client.get(asset.url, headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "accept-encoding"
    assert r.content == asset.body  # httpx decodes the gzip
    assert int(r.headers["content-length"]) < len(asset.body) / 3


async def test_an_unknown_asset_or_a_stale_hash_is_not_found(client_for):
    client = client_for("development")
    asset = assets()["graphiql.min.js"]
    assert (await client.get(asset.url.replace(asset.digest, "0" * 20))).status_code == 404
    assert (await client.get(f"/graphiql/assets/{asset.digest}/vendor.json")).status_code == 404
    assert (await client.get(f"/graphiql/assets/{asset.digest}/..%2Fvendor.json")).status_code == 404
    licence = fetch_assets.VENDOR / "react.LICENSE"
    assert licence.is_file()
    assert (await client.get(f"/graphiql/assets/{asset.digest}/react.LICENSE")).status_code == 404


async def test_production_serves_neither_the_page_nor_its_assets(client_for):
    development_url = assets()["graphiql.min.js"].url
    client = client_for("production")
    page = await client.get("/graphql", headers=HTML)
    assert page.status_code == 406
    assert "graphiql" not in page.text.lower()
    assert (await client.get(development_url)).status_code == 404


def test_vendored_files_match_their_pins():
    assert fetch_assets.check() == []
    for pin in fetch_assets.load_manifest():
        assert pin.integrity.startswith("sha512-"), pin.name
    versions = {pin.name: pin.version for pin in fetch_assets.load_manifest()}
    assert versions == {"graphiql": "4.1.2", "react": "18.3.1", "react-dom": "18.3.1"}


def test_every_file_the_page_needs_is_package_data():
    """A wheel carries the files the server reads, not only the editable checkout."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["service.graphql.ide"]
    needed = [IDE / "graphiql.html", IDE / "graphiql.css", IDE / "graphiql-boot.js", IDE / "vendor.json"]
    needed += sorted(fetch_assets.VENDOR.iterdir())
    assert {path.name for path in needed} >= set(assets())
    for path in needed:
        relative = path.relative_to(IDE).as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _registry(tarball: bytes, integrity: str) -> httpx.Client:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(".tgz"):
            return httpx.Response(200, content=tarball)
        return httpx.Response(200, json={"dist": {"integrity": integrity, "tarball": "https://registry.test/p.tgz"}})

    return httpx.Client(transport=httpx.MockTransport(answer))


def test_fetching_refuses_a_tarball_or_a_file_that_does_not_match_its_pin():
    good = b"console.log(1);\n"
    tarball = _tarball({"package/a.js": good})
    integrity = fetch_assets.sri_sha512(tarball)
    pin = fetch_assets.Pin(
        "p", "1.0.0", integrity, {"a.js": {"from": "package/a.js", "sha256": fetch_assets.sha256(good)}}
    )

    stated, files = fetch_assets.download(_registry(tarball, integrity), "https://registry.test", pin, repin=False)
    assert (stated, files) == (integrity, {"a.js": good})

    tampered = _tarball({"package/a.js": b"alert(1);\n"})
    with pytest.raises(fetch_assets.IntegrityError, match="does not match sha512-"):
        fetch_assets.download(_registry(tampered, integrity), "https://registry.test", pin, repin=False)
    other = fetch_assets.sri_sha512(tampered)
    with pytest.raises(fetch_assets.IntegrityError, match="the registry states"):
        fetch_assets.download(_registry(tampered, other), "https://registry.test", pin, repin=False)
    repinned = fetch_assets.Pin("p", "1.0.0", other, pin.files)
    with pytest.raises(fetch_assets.IntegrityError, match="does not match its sha256"):
        fetch_assets.download(_registry(tampered, other), "https://registry.test", repinned, repin=False)


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium: Playwright cannot download its own browser here. Missing is a failure."""
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    return CHROMIUM


@pytest.mark.parametrize("read_path", ["compiled"], indirect=True, scope="session")
async def test_graphiql_runs_a_query_in_a_real_browser_with_the_key_typed_into_it(
    live_tenant: LiveTenant,  # noqa: F811
    chromium: str,
):
    """Chromium loads the page from the live server only (no other host is asked for anything),
    renders the editor, and runs a query with the `Authorization` header typed into it."""
    server: LiveServer = live_tenant.server
    origin = urlsplit(server.base_url).netloc
    requests: list[str] = []
    problems: list[str] = []
    graphql_requests: list[dict[str, str]] = []

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on(
                "request",
                lambda r: (
                    graphql_requests.append(r.headers) if r.url.endswith("/graphql") and r.method == "POST" else None
                ),
            )
            page.on(
                "console",
                lambda m: (
                    problems.append(m.text) if m.type in {"error", "warning"} and UNAUTHORIZED not in m.text else None
                ),
            )
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))

            # Before a key is typed, the schema's introspection is refused (the 401 says why).
            async with page.expect_response(lambda r: r.url == server.graphql_url and r.status == 401):
                await page.goto(server.graphql_url, wait_until="load")
            query_editor = page.locator(".graphiql-query-editor .CodeMirror")
            await query_editor.wait_for(timeout=15_000)

            headers_editor = page.locator(".graphiql-editor-tool .CodeMirror").last
            await headers_editor.click()
            await page.keyboard.press("Control+A")
            await page.keyboard.insert_text(json.dumps({"Authorization": f"Bearer {live_tenant.secret}"}))
            async with page.expect_response(lambda r: r.url == server.graphql_url and r.status == 200):
                await page.get_by_role("button", name="Re-fetch GraphQL schema").click()

            await query_editor.click()
            await page.keyboard.press("Control+A")
            await page.keyboard.insert_text("query Mine { companies(first: 5) { totalCount nodes { name } } }")
            await page.locator(".graphiql-tab", has_text="Mine").wait_for()  # the new document is parsed
            await page.locator(".graphiql-execute-button").click()

            result = page.locator(".result-window")
            await result.get_by_text('"totalCount": 1').wait_for(timeout=15_000)
            text = await result.inner_text()
            assert '"name": "Acme"' in text, text
        finally:
            await browser.close()

    assert [h.get("authorization") for h in graphql_requests][-1] == f"Bearer {live_tenant.secret}"
    assert {urlsplit(url).netloc for url in requests if not url.startswith("data:")} == {origin}, requests
    assert problems == [], problems
