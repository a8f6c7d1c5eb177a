"""The sign-in routes under `/auth`: OpenID Connect (authorization code with PKCE, through
Authlib) against the company's own provider, the session's cookie, sign-out, and, for `make
run`'s demo only, a development sign-in that needs no provider.

    GET  /auth/sign-in?company=<slug>&next=</path>   to the company's provider
    GET  /auth/callback                              back from it: a session, then `next`
    GET  /auth/session                               who is signed in, what they may read, and the CSRF token
    POST /auth/sign-out            {"everywhere": b} ends this session (or all of the person's)
    GET  /auth/dev, POST /auth/dev                   development sign-in (HIREGRAPH_DEV_SIGN_IN)

The sign-in's state, nonce and PKCE verifier travel to the callback in a signed, HttpOnly
cookie scoped to `/auth` that lives ten minutes (Starlette's session middleware, which Authlib
uses). Nothing here logs a token, a code or a cookie.
"""

from __future__ import annotations

import html
import logging
import secrets
from typing import Any

import orjson
from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from httpx import HTTPError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from service.auth.scopes import AREAS
from service.companies.models import Company
from service.ids import to_global_id
from service.settings import Settings
from service.signin import service
from service.signin.ending import end_sessions
from service.signin.models import IdentityProvider
from service.users.models import User, UserStatus
from service.webapp import PAGE_CSP

log = logging.getLogger(__name__)
logging.getLogger("authlib").setLevel(logging.INFO)
"""Authlib logs each PKCE code verifier at DEBUG: a secret, kept out of every log at any level."""
STATE_COOKIE = "hiregraph_signin"
OAUTH_ERRORS = frozenset(
    {
        "access_denied",
        "invalid_request",
        "unauthorized_client",
        "unsupported_response_type",
        "invalid_scope",
        "server_error",
        "temporarily_unavailable",
        "interaction_required",
        "login_required",
        "account_selection_required",
        "consent_required",
        "mismatching_state",
        "invalid_grant",
        "invalid_client",
    }
)
"""Error codes of OAuth 2.0 and OpenID Connect (and Authlib's state check) shown as they are;
anything else a URL could carry is shown as `unknown_error`, so no page says what an attacker wrote."""
STATE_SECONDS = 600
SCOPE = "openid email profile"


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this server only (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or "\n" in value:
        return "/"
    return value


def _page(body: str, status: int = 200) -> Response:
    return HTMLResponse(
        f'<!doctype html><html lang="en"><meta charset="utf-8">{body}</html>',
        status_code=status,
        headers={"content-security-policy": PAGE_CSP, "x-frame-options": "DENY", "cache-control": "no-store"},
    )


def _refusal(status: int, message: str) -> Response:
    return _page(
        f"<title>Sign-in refused</title><h1>Sign-in refused</h1><p>{html.escape(message)}</p>"
        '<p><a href="/">Back to Hiregraph</a></p>',
        status,
    )


class SignIn:
    def __init__(self, settings: Settings, engine: AsyncEngine) -> None:
        self.settings = settings
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.oauth = OAuth()
        self.cookie = service.cookie_name(settings)
        self._clients: dict[int, tuple[Any, StarletteOAuth2App]] = {}

    # -- the session cookie ------------------------------------------------------------------------

    def _set_cookie(self, response: Response, token: str) -> None:
        response.set_cookie(
            self.cookie,
            token,
            max_age=self.settings.session_hours * 3600,
            path="/",
            httponly=True,
            secure=service.secure_cookies(self.settings),
            samesite="lax",
        )

    async def _begin(self, request: Request, user: User, next_path: str) -> Response:
        """A new session for `user`; the browser's previous one (another person's, on a shared
        computer) ends with it, rather than living on until it idles out."""
        previous = request.cookies.get(self.cookie)
        async with self.sessions() as session, session.begin():
            if previous:
                await service.end_session_of_token(await session.connection(), previous)
            token = await service.start_session(session, user, self.settings)
        response = RedirectResponse(next_path, status_code=303)
        self._set_cookie(response, token)
        log.info("person %s signed in to company %s", user.id, user.company_id)
        return response

    # -- OpenID Connect ----------------------------------------------------------------------------

    async def _client(self, provider: IdentityProvider) -> StarletteOAuth2App:
        """The Authlib client of a company's provider, rebuilt when its configuration changes
        (its discovery document and keys are cached with it)."""
        cached = self._clients.get(provider.company_id)
        if cached is not None and cached[0] == provider.updated_at:
            return cached[1]
        client = self.oauth.register(
            f"company-{provider.company_id}",
            overwrite=True,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=f"{provider.issuer.rstrip('/')}/.well-known/openid-configuration",
            client_kwargs={
                "scope": SCOPE,
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": "client_secret_basic" if provider.client_secret else "none",
            },
        )
        self._clients[provider.company_id] = (provider.updated_at, client)
        return client

    def _redirect_uri(self, request: Request) -> str:
        base = self.settings.public_url or str(request.base_url).rstrip("/")
        return f"{base}/auth/callback"

    async def start(self, request: Request) -> Response:
        if self.settings.production and not self.settings.session_secret:
            # A random key per process: a callback reaching another replica could not be read.
            return _refusal(503, "sign-in is not configured here: HIREGRAPH_SESSION_SECRET is not set")
        slug = request.query_params.get("company", "")
        async with self.sessions() as session:
            found = (
                await session.execute(
                    select(Company.id, IdentityProvider)
                    .join(IdentityProvider, IdentityProvider.company_id == Company.id)
                    .where(Company.slug == slug)
                )
            ).one_or_none()
        if found is None:
            return _refusal(404, f"no company {slug!r} signs its people in here")
        if request.headers.get("sec-fetch-site") in {"cross-site", "same-site"}:
            # A link on another site would sign the browser in to a company the person did not
            # choose (login CSRF): they confirm here first, by a link of this site's own.
            again = html.escape(str(request.url))
            return _page(
                f"<title>Sign in</title><h1>Sign in to {html.escape(slug)}?</h1>"
                f"<p>Another site sent you here to sign in to the company {html.escape(slug)}.</p>"
                f'<p><a href="{again}">Continue to its sign-in</a> or <a href="/">go to Hiregraph</a>.</p>'
            )
        client = await self._client(found[1])
        request.session.clear()
        request.session["company_id"] = found[0]
        request.session["next"] = safe_next(request.query_params.get("next"))
        try:
            response: Response = await client.authorize_redirect(request, self._redirect_uri(request))
        except HTTPError as exc:
            log.warning("identity provider of company %s unreachable: %s", found[0], type(exc).__name__)
            return _refusal(502, "the company's identity provider could not be reached; try again later")
        return response

    async def callback(self, request: Request) -> Response:
        company_id = request.session.get("company_id")
        if not isinstance(company_id, int):
            return _refusal(400, "this sign-in was not started here, or took longer than ten minutes: start again")
        next_path = safe_next(request.session.get("next"))
        async with self.sessions() as session:
            provider = await session.scalar(select(IdentityProvider).where(IdentityProvider.company_id == company_id))
        if provider is None:
            return _refusal(400, "the company no longer signs its people in here")
        client = await self._client(provider)
        try:
            token = await client.authorize_access_token(request)
            claims = dict(token.get("userinfo") or {})  # the ID token's, validated (issuer, audience, nonce)
            if "email" not in claims and claims.get("sub"):
                # A provider may keep scope claims for its userinfo endpoint (OIDC Core 5.4); its
                # answer counts only for the subject the ID token named (5.3.2).
                info = await client.userinfo(token=token)
                if info.get("sub") == claims["sub"]:
                    claims.update({k: info.get(k) for k in ("email", "email_verified", "name") if k in info})
        except OAuthError as exc:
            # A known error code only (`access_denied`, `mismatching_state`, …): never the code,
            # never text from the URL.
            error = exc.error if exc.error in OAUTH_ERRORS else "unknown_error"
            log.info("sign-in to company %s refused: %s", company_id, error)
            return _refusal(400, f"the identity provider did not sign you in ({error})")
        except HTTPError as exc:
            log.warning("identity provider of company %s failed: %s", company_id, type(exc).__name__)
            return _refusal(502, "the company's identity provider could not be reached; try again later")
        finally:
            request.session.clear()
        subject, email = claims.get("sub"), claims.get("email")
        if not isinstance(subject, str) or not isinstance(email, str):
            return _refusal(403, "the identity provider did not say who you are (no subject or email)")
        if claims.get("email_verified") is not True:
            return _refusal(403, "the identity provider has not verified your email address")
        async with self.sessions() as session, session.begin():
            user = await service.person_signing_in(session, company_id, subject, email)
        if user is None:
            return _refusal(403, "no active person with this address works in this company here; ask an admin")
        return await self._begin(request, user, next_path)

    # -- the session -------------------------------------------------------------------------------

    async def current(self, request: Request) -> Response:
        token = request.cookies.get(self.cookie)
        found = None
        if token:
            async with self.engine.begin() as conn:
                found = await service.find_session(conn, token, self.settings)
        if token is None or found is None:
            return JSONResponse({"signedIn": False}, status_code=401)
        p = found.principal
        return JSONResponse(
            {
                "signedIn": True,
                "user": {
                    "id": to_global_id("User", p.user_id or 0, p.company_ids[0]),
                    "name": p.name,
                    "role": found.role.value,
                },
                "companyIds": [to_global_id("Company", c) for c in p.company_ids],
                # What the app may ask for: asking for more gets a field refused, and a refused
                # non-null field nulls the whole answer, which a shared client cache then keeps.
                "reads": [area for area in AREAS if p.can(area)],
                "expiresAt": found.expires_at.isoformat(),
                "csrfToken": service.csrf_token(token),
            },
            headers={"cache-control": "no-store"},
        )

    async def sign_out(self, request: Request) -> Response:
        token = request.cookies.get(self.cookie)
        if not token:
            return JSONResponse({"signedOut": 0})
        if not service.csrf_matches(token, request.headers.get(service.CSRF_HEADER)):
            return JSONResponse({"error": "missing or wrong X-CSRF-Token"}, status_code=403)
        body = await request.body()
        everywhere = False
        if body:
            try:
                everywhere = orjson.loads(body).get("everywhere") is True
            except (orjson.JSONDecodeError, AttributeError):
                return JSONResponse({"error": 'the body is {"everywhere": true|false} or empty'}, status_code=400)
        async with self.engine.begin() as conn:
            found = await service.find_session(conn, token, self.settings)
            ended = 0
            if found is not None:
                p = found.principal
                ended = await end_sessions(
                    conn,
                    p.company_ids[0],
                    user_id=p.user_id if everywhere else None,
                    session_id=None if everywhere else p.session_id,
                )
        response = JSONResponse({"signedOut": ended})
        response.delete_cookie(self.cookie, path="/", secure=service.secure_cookies(self.settings), httponly=True)
        return response

    # -- development only ------------------------------------------------------------------------

    async def dev_page(self, request: Request) -> Response:
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(User.id, User.name, User.role, Company.name)
                    .join(Company, Company.id == User.company_id)
                    .where(User.status == UserStatus.ACTIVE)
                    .order_by(Company.name, User.role, User.name)
                    .limit(200)
                )
            ).all()
        items = "".join(
            f'<li><form method="post"><input type="hidden" name="user" value="{uid}">'
            f"<button>{html.escape(name)}</button> {html.escape(role.value)}, {html.escape(company)}</form></li>"
            for uid, name, role, company in rows
        )
        return _page(
            "<title>Development sign-in</title>"
            "<h1>Development sign-in</h1><p><strong>Development only:</strong> anyone reaching this server "
            "may sign in as anyone. A real deployment signs people in through their company's provider.</p>"
            f"<ul>{items}</ul>"
        )

    async def dev_sign_in(self, request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin is not None and origin.rstrip("/") != str(request.base_url).rstrip("/"):
            return _refusal(403, "sign in from this server's own page")
        async with request.form(max_files=0, max_fields=5) as form:
            raw = form.get("user")
        if not isinstance(raw, str) or not raw.isdigit():
            return _refusal(400, "choose a person")
        async with self.sessions() as session:
            user = await session.get(User, int(raw))
        if user is None or user.status is not UserStatus.ACTIVE:
            return _refusal(403, "no such active person")
        return await self._begin(request, user, safe_next(request.query_params.get("next")))

    def app(self) -> Starlette:
        routes = [
            Route("/sign-in", self.start, methods=["GET"]),
            Route("/callback", self.callback, methods=["GET"]),
            Route("/session", self.current, methods=["GET"]),
            Route("/sign-out", self.sign_out, methods=["POST"]),
        ]
        if self.settings.dev_sign_in:
            routes.append(Route("/dev", self.dev_page, methods=["GET"]))
            routes.append(Route("/dev", self.dev_sign_in, methods=["POST"]))
        return Starlette(
            routes=routes,
            middleware=[
                Middleware(
                    SessionMiddleware,
                    secret_key=self.settings.session_secret or secrets.token_urlsafe(32),
                    session_cookie=STATE_COOKIE,
                    max_age=STATE_SECONDS,
                    path="/auth",
                    same_site="lax",
                    https_only=service.secure_cookies(self.settings),
                )
            ],
        )
