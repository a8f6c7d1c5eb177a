"""A real OpenID Provider for the sign-in tests: panva/oidc-provider (OpenID Certified), run by
Node from tests/oidc (pinned by its package-lock.json), on a free loopback port, stopped by PID.

`OpenIdProvider.sign_in` plays the person's browser at the provider: it follows the redirects
and fills the provider's own stock login and consent pages, as a person would."""

from __future__ import annotations

import json
import logging
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from tests import node as node_project
from tests.live import free_port

PROJECT = Path(__file__).resolve().parent / "oidc"
CLIENT_ID = "hiregraph-tests"
CLIENT_SECRET = "oidc-client-secret-for-tests-only-7Gq2"
PUBLIC_CLIENT_ID = "hiregraph-public"
REDIRECT_URI = "http://127.0.0.1/auth/callback"
"""The tests' app answers at http://127.0.0.1 (httpx's ASGI transport)."""
FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')


@dataclass
class OpenIdProvider:
    issuer: str
    process: subprocess.Popen[str]

    async def sign_in(self, authorize_url: str, login: str, *, consent: bool = True) -> str:
        """Go from the authorization URL to the redirect back to the app, signing in as `login`
        on the provider's pages; returns the app's callback URL (with `code` and `state`, or `error`).

        The browser's own HTTP traces are kept out of the log meanwhile (they carry the code, as a
        browser's history would): the tests search the log for what the server lets out."""
        traces = logging.getLogger("httpcore")
        level = traces.level
        traces.setLevel(logging.WARNING)
        try:
            return await self._browse(authorize_url, login, consent)
        finally:
            traces.setLevel(level)

    async def _browse(self, authorize_url: str, login: str, consent: bool) -> str:
        async with httpx.AsyncClient(timeout=10) as browser:
            url, form = authorize_url, None
            for _ in range(12):
                r = await (browser.post(url, data=form) if form is not None else browser.get(url))
                form = None
                if r.is_redirect:
                    url = urljoin(url, r.headers["location"])
                    if url.startswith(REDIRECT_URI):
                        return url
                    continue
                assert r.status_code == 200, (r.status_code, r.text[:500])
                action = FORM_ACTION.search(r.text)
                assert action is not None, r.text[:500]
                url = urljoin(url, action.group(1))
                if 'name="login"' in r.text:
                    form = {"prompt": "login", "login": login, "password": "any"}
                elif consent:
                    form = {"prompt": "consent"}
                else:  # the person refuses: the provider's abort link
                    abort = re.search(r'href="([^"]*/abort)"', r.text)
                    assert abort is not None, r.text[:500]
                    url, form = urljoin(url, abort.group(1)), None
            raise AssertionError("the provider never redirected back to the app")


@pytest.fixture(scope="module")
def openid_provider() -> Iterator[OpenIdProvider]:
    node = node_project.install(PROJECT)
    port = free_port()
    clients = [
        {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "client_secret_basic",
        },
        {
            "client_id": PUBLIC_CLIENT_ID,
            "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "none",
        },
    ]
    process = subprocess.Popen(
        [node, "provider.mjs", str(port), json.dumps(clients)],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # the provider's warnings about its development-only defaults
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("ready "), line
        yield OpenIdProvider(issuer=f"http://127.0.0.1:{port}", process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
