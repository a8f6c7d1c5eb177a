"""People sign in through their company's OpenID provider (a real one, started by the tests:
panva/oidc-provider), get an HttpOnly session cookie, call the API with it and a CSRF token,
and sign out; sessions idle out and expire; every refusal leaves no session behind; no token,
code or cookie reaches a log."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from service.settings import Settings
from service.signin.models import UserSession
from service.signin.service import SESSION_COOKIE, configure_provider, cookie_name, token_hash
from tests.factories import create_application, create_posting, create_user
from tests.helpers import snapshot
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, PUBLIC_CLIENT_ID, OpenIdProvider

ME = "{ users(first: 5) { nodes { name role } } }"


async def provider_for(engine, acme, issuer: str, *, public: bool = False) -> None:
    async with AsyncSession(engine) as session, session.begin():
        await configure_provider(
            session, acme.slug, issuer, PUBLIC_CLIENT_ID if public else CLIENT_ID, None if public else CLIENT_SECRET
        )


async def session_count(engine) -> int:
    async with AsyncSession(engine) as session:
        return int(await session.scalar(select(func.count()).select_from(UserSession)) or 0)


async def sign_in(
    client: httpx.AsyncClient, op: OpenIdProvider, slug: str, login: str, *, next_path: str = "/board", **kw: Any
) -> httpx.Response:
    r = await client.get("/auth/sign-in", params={"company": slug, "next": next_path})
    assert r.status_code == 302, r.text
    authorize = r.headers["location"]
    assert authorize.startswith(op.issuer)
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["nonce"][0] and query["state"][0] and "openid" in query["scope"][0].split()
    back = await op.sign_in(authorize, login, **kw)
    parts = urlsplit(back)
    return await client.get(f"{parts.path}?{parts.query}")


async def csrf(client: httpx.AsyncClient) -> str:
    r = await client.get("/auth/session")
    assert r.status_code == 200, r.text
    token: str = r.json()["csrfToken"]
    return token


@pytest.mark.parametrize("public", [False, True], ids=["confidential", "public"])
async def test_a_person_signs_in_calls_the_api_and_signs_out(
    acme, engine, make_client, openid_provider, caplog, public
):
    caplog.set_level(logging.DEBUG)
    await provider_for(engine, acme, openid_provider.issuer, public=public)
    await create_user(acme, "Rita", role="RECRUITER")
    client = make_client()

    r = await sign_in(client, openid_provider, acme.slug, f"rita@{acme.slug}.example")
    assert r.status_code == 303 and r.headers["location"] == "/board", r.text
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    token = client.cookies.get(SESSION_COOKIE)
    assert token and len(token) >= 40

    who = (await client.get("/auth/session")).json()
    assert who["signedIn"] and who["user"]["name"] == "Rita" and who["user"]["role"] == "RECRUITER"
    assert who["reads"] == ["postings", "applicants", "applications", "users", "offers"]  # no EEOC answers
    headers = {"x-csrf-token": who["csrfToken"]}

    r = await client.post("/graphql", json={"query": ME}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["users"]["nodes"] == [{"name": "Rita", "role": "RECRUITER"}]

    # Without the CSRF token, or with another: refused before anything runs.
    for bad in ({}, {"x-csrf-token": "0" * 64}):
        r = await client.post("/graphql", json={"query": ME}, headers=bad)
        assert r.status_code == 403 and r.json()["errors"][0]["extensions"]["code"] == "CSRF"

    # A mutation made by a person is audited as theirs.
    done = await client.post(
        "/graphql",
        json={
            "query": "mutation($i: ApplicantCreateInput!) { applicantCreate(input: $i) { applicant { id } errors { code } } }",
            "variables": {"i": {"companyId": acme.company_id, "name": "Ann Lee", "emails": ["ann@example.com"]}},
        },
        headers=headers,
    )
    assert done.json()["data"]["applicantCreate"]["errors"] == [], done.text
    async with AsyncSession(engine) as session:
        row = (
            await session.execute(
                text("SELECT api_key_id, api_key_name, user_id FROM audit_events WHERE operation = 'applicantCreate'")
            )
        ).one()
    assert row.api_key_id is None and row.api_key_name == "" and row.user_id is not None

    # The token names its company: its session is looked up among that company's rows alone. A
    # session whose token named none (made before tokens did) is not honoured: sign in again.
    company, _, secret = token.partition(".")
    assert company == str(acme.company_pk)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO user_sessions (company_id, user_id, token_hash, created_at, last_seen_at, expires_at) "
                "SELECT company_id, user_id, :hash, now(), now(), expires_at FROM user_sessions"
            ),
            {"hash": token_hash(secret)},
        )
    for other in (secret, f"{acme.company_pk + 1}.{secret}"):
        probe = make_client()
        probe.cookies.set(SESSION_COOKIE, other)
        assert (await probe.get("/auth/session")).status_code == 401

    r = await client.post("/auth/sign-out", headers=headers)
    assert r.status_code == 200 and r.json() == {"signedOut": 1}
    client.cookies.set(SESSION_COOKIE, token)  # a copy of the cookie kept after sign-out
    assert (await client.get("/auth/session")).status_code == 401
    r = await client.post("/graphql", json={"query": ME}, headers=headers)
    assert r.status_code == 401

    logged = "\n".join(f"{record.name}: {record.getMessage()}" for record in caplog.records)
    assert token not in logged and CLIENT_SECRET not in logged and "code=" not in logged


async def test_sign_out_everywhere_ends_every_session_of_the_person(acme, engine, make_client, openid_provider):
    await provider_for(engine, acme, openid_provider.issuer)
    await create_user(acme, "Rita", role="RECRUITER")
    laptop, phone = make_client(), make_client()
    for browser in (laptop, phone):
        assert (await sign_in(browser, openid_provider, acme.slug, f"rita@{acme.slug}.example")).status_code == 303
    r = await laptop.post("/auth/sign-out", json={"everywhere": True}, headers={"x-csrf-token": await csrf(laptop)})
    assert r.json() == {"signedOut": 2}
    assert (await phone.get("/auth/session")).status_code == 401


async def test_sessions_idle_out_expire_and_end_with_deactivation(acme, engine, make_client, openid_provider):
    await provider_for(engine, acme, openid_provider.issuer)
    rita = await create_user(acme, "Rita", role="RECRUITER")
    client = make_client(session_idle_minutes=30)

    async def signed_in() -> bool:
        r = await client.get("/auth/session")
        return bool(r.status_code == 200)

    assert (await sign_in(client, openid_provider, acme.slug, f"rita@{acme.slug}.example")).status_code == 303
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE user_sessions SET last_seen_at = now() - interval '31 minutes'"))
    assert not await signed_in()  # idle for longer than the setting

    assert (await sign_in(client, openid_provider, acme.slug, f"rita@{acme.slug}.example")).status_code == 303
    assert await signed_in()
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE user_sessions SET expires_at = now() - interval '1 second'"))
    assert not await signed_in()  # past the absolute limit, however recently used

    assert (await sign_in(client, openid_provider, acme.slug, f"rita@{acme.slug}.example")).status_code == 303
    assert await signed_in()
    await acme.mutate("userUpdate", {"id": rita, "status": "DEACTIVATED"}, "user { id }")
    assert not await signed_in()


@pytest.mark.parametrize(
    ("login", "why"),
    [
        ("nobody@elsewhere.example", "no active person"),
        ("rita@{slug}.example|unverified", "not verified"),
    ],
    ids=["unknown address", "unverified address"],
)
async def test_people_the_company_does_not_know_get_no_session(acme, engine, make_client, openid_provider, login, why):
    await provider_for(engine, acme, openid_provider.issuer)
    await create_user(acme, "Rita", role="RECRUITER")
    client = make_client()
    r = await sign_in(client, openid_provider, acme.slug, login.format(slug=acme.slug))
    assert r.status_code == 403 and why in r.text
    assert SESSION_COOKIE not in client.cookies
    assert await session_count(engine) == 0


async def test_refused_consent_a_forged_state_and_a_deactivated_person_get_no_session(
    acme, engine, make_client, openid_provider
):
    await provider_for(engine, acme, openid_provider.issuer)
    rita = await create_user(acme, "Rita", role="RECRUITER")
    client = make_client()
    r = await sign_in(client, openid_provider, acme.slug, f"rita@{acme.slug}.example", consent=False)
    assert r.status_code == 400 and "access_denied" in r.text

    # A callback with a state this browser did not start (login CSRF): refused.
    r = await client.get("/auth/sign-in", params={"company": acme.slug})
    forged = await client.get("/auth/callback", params={"code": "x", "state": "forged"})
    assert forged.status_code == 400
    # A callback without a sign-in started here at all.
    assert (await make_client().get("/auth/callback", params={"code": "x", "state": "y"})).status_code == 400

    await acme.mutate("userUpdate", {"id": rita, "status": "DEACTIVATED"}, "user { id }")
    r = await sign_in(client, openid_provider, acme.slug, f"rita@{acme.slug}.example")
    assert r.status_code == 403
    assert await session_count(engine) == 0


async def test_next_never_leaves_the_server_and_unknown_companies_are_refused(
    acme, engine, make_client, openid_provider
):
    await provider_for(engine, acme, openid_provider.issuer)
    await create_user(acme, "Rita", role="RECRUITER")
    client = make_client()
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        r = await sign_in(client, openid_provider, acme.slug, f"rita@{acme.slug}.example", next_path=evil)
        assert r.status_code == 303 and r.headers["location"] == "/", evil
    assert (await client.get("/auth/sign-in", params={"company": "no-such-company"})).status_code == 404


async def test_a_person_sees_only_what_their_role_allows(acme, globex, engine, make_client, openid_provider):
    await provider_for(engine, acme, openid_provider.issuer)
    await create_user(acme, "Ivan", role="INTERVIEWER")
    await create_user(globex, "Gail", role="ADMIN")
    client = make_client()
    assert (await sign_in(client, openid_provider, acme.slug, f"ivan@{acme.slug}.example")).status_code == 303
    headers = {"x-csrf-token": await csrf(client)}
    r = await client.post(
        "/graphql",
        json={"query": "{ offers(first: 1) { nodes { id } } companies { nodes { slug } } }"},
        headers=headers,
    )
    body = r.json()
    assert body["data"] is None or body["data"].get("offers") is None, body
    assert any("offers:read" in e["message"] for e in body["errors"]), body
    r = await client.post("/graphql", json={"query": "{ companies { nodes { slug } } }"}, headers=headers)
    assert r.json()["data"]["companies"]["nodes"] == [{"slug": acme.slug}]  # never globex
    # A person never creates companies, even an admin's role would not let them.
    r = await client.post(
        "/graphql",
        json={"query": 'mutation { companyCreate(input: {name: "X", slug: "x"}) { errors { code } } }'},
        headers=headers,
    )
    assert r.json()["data"]["companyCreate"]["errors"] == [{"code": "FORBIDDEN"}]


async def test_production_cookies_are_secure(acme, engine, make_client, openid_provider):
    await provider_for(engine, acme, openid_provider.issuer)
    await create_user(acme, "Rita", role="RECRUITER")
    # Without a shared secret for the sign-in cookie, replicas could not read each other's: refused.
    r = await make_client(environment="production").get("/auth/sign-in", params={"company": acme.slug})
    assert r.status_code == 503 and "HIREGRAPH_SESSION_SECRET" in r.text
    production = make_client(environment="production", session_secret="s" * 32)
    r = await production.get("/auth/sign-in", params={"company": acme.slug})
    assert r.status_code == 302
    assert "secure" in r.headers["set-cookie"].lower() and "httponly" in r.headers["set-cookie"].lower()
    assert cookie_name(Settings(environment="production")) == "__Host-hiregraph_session"
    assert cookie_name(Settings()) == SESSION_COOKIE


async def test_development_sign_in_exists_only_when_asked_for(acme, make_client):
    rita = await create_user(acme, "Rita", role="RECRUITER")
    assert (await make_client().get("/auth/dev")).status_code == 404
    dev = make_client(dev_sign_in=True)
    page = await dev.get("/auth/dev")
    assert page.status_code == 200 and "Development only" in page.text and "Rita" in page.text
    from service.ids import pk_of

    r = await dev.post("/auth/dev", data={"user": str(pk_of(rita, "User"))})
    assert r.status_code == 303
    assert (await dev.get("/auth/session")).json()["user"]["name"] == "Rita"


def test_development_sign_in_is_refused_outside_development():
    with pytest.raises(ValueError, match="DEV_SIGN_IN"):
        Settings(dev_sign_in=True, environment="production")
    with pytest.raises(ValueError, match="DEV_SIGN_IN"):
        Settings(dev_sign_in=True, host="0.0.0.0")
    with pytest.raises(ValueError, match="DEV_SIGN_IN"):
        Settings(dev_sign_in=True, environment="staging")


async def test_a_person_acts_as_themselves(acme, engine, make_client, openid_provider):
    await provider_for(engine, acme, openid_provider.issuer)
    await create_user(acme, "Rita", role="RECRUITER")
    other = await create_user(acme, "Hugo", role="HIRING_MANAGER")
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"])
    client = make_client()
    assert (await sign_in(client, openid_provider, acme.slug, f"rita@{acme.slug}.example")).status_code == 303
    headers = {"x-csrf-token": await csrf(client)}

    async def mutate(name: str, input: dict[str, Any]) -> list[dict[str, Any]]:
        r = await client.post(
            "/graphql",
            json={
                "query": f"mutation($i: {name[0].upper() + name[1:]}Input!) {{ {name}(input: $i) {{ errors {{ field code }} }} }}",
                "variables": {"i": input},
            },
            headers=headers,
        )
        assert r.status_code == 200, r.text
        errors: list[dict[str, Any]] = r.json()["data"][name]["errors"]
        return errors

    second = posting["stages"][1]["id"]
    before = await snapshot(engine)
    # Naming someone else as the one who acts is refused, and changes nothing.
    for name, input, field in [
        ("applicationMove", {"id": application["id"], "stageId": second, "actorId": other}, "actorId"),
        ("applicationMove", {"id": application["id"], "stageId": second, "actor": "Hugo"}, "actorId"),
        ("offerCreate", {"applicationId": application["id"], "createdById": other}, "createdById"),
        # A partner's sync by external references is a key's work.
        ("applicantUpsert", {"companyId": acme.company_id, "provider": "greenhouse", "externalId": "1"}, None),
    ]:
        assert await mutate(name, input) == [{"field": field, "code": "FORBIDDEN"}], name
    assert await snapshot(engine) == before
    # Acting without naming anyone: the move is the person's.
    assert await mutate("applicationMove", {"id": application["id"], "stageId": second}) == []
    async with AsyncSession(engine) as session:
        row = (
            await session.execute(text("SELECT actor, actor_user_id FROM stage_transitions ORDER BY id DESC LIMIT 1"))
        ).one()
    assert row.actor == "Rita" and row.actor_user_id is not None


async def test_a_new_provider_does_not_inherit_the_old_ones_subjects(acme, engine, make_client, openid_provider):
    await provider_for(engine, acme, openid_provider.issuer)
    await create_user(acme, "Rita", role="RECRUITER")
    assert (await sign_in(make_client(), openid_provider, acme.slug, f"rita@{acme.slug}.example")).status_code == 303
    async with AsyncSession(engine) as session:
        assert await session.scalar(text("SELECT oidc_subject FROM users WHERE name = 'Rita'")) is not None
    async with AsyncSession(engine) as session, session.begin():
        await configure_provider(session, acme.slug, "https://login.other.example", "other", None)
    async with AsyncSession(engine) as session:
        assert await session.scalar(text("SELECT oidc_subject FROM users WHERE name = 'Rita'")) is None


async def test_a_cross_site_link_to_sign_in_asks_first(acme, engine, make_client, openid_provider):
    await provider_for(engine, acme, openid_provider.issuer)
    client = make_client()
    r = await client.get("/auth/sign-in", params={"company": acme.slug}, headers={"sec-fetch-site": "cross-site"})
    assert r.status_code == 200 and "Another site sent you here" in r.text
    assert "location" not in r.headers
    r = await client.get("/auth/sign-in", params={"company": acme.slug}, headers={"sec-fetch-site": "same-origin"})
    assert r.status_code == 302 and r.headers["location"].startswith(openid_provider.issuer)


async def test_an_unknown_provider_error_is_not_echoed(acme, engine, make_client, openid_provider):
    await provider_for(engine, acme, openid_provider.issuer)
    client = make_client()
    await client.get("/auth/sign-in", params={"company": acme.slug})
    r = await client.get("/auth/callback", params={"error": "Call 555-0100 <b>now</b>", "state": "x"})
    assert r.status_code == 400 and "unknown_error" in r.text and "555" not in r.text


async def test_a_key_an_admin_person_makes_does_not_outlive_their_session(acme, engine, make_client, openid_provider):
    await provider_for(engine, acme, openid_provider.issuer)
    await create_user(acme, "Ada", role="ADMIN")
    client = make_client()
    assert (await sign_in(client, openid_provider, acme.slug, f"ada@{acme.slug}.example")).status_code == 303
    headers = {"x-csrf-token": await csrf(client)}
    query = "mutation($i: ApiKeyCreateInput!) { apiKeyCreate(input: $i) { secret errors { field code } } }"
    forever = {"name": "forever", "companyIds": [acme.company_id], "scopes": ["postings:read"]}
    r = await client.post("/graphql", json={"query": query, "variables": {"i": forever}}, headers=headers)
    payload = r.json()["data"]["apiKeyCreate"]
    assert payload["secret"] is None and payload["errors"][0]["code"] == "FORBIDDEN", payload
    soon = {**forever, "name": "soon", "expiresAt": (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()}
    r = await client.post("/graphql", json={"query": query, "variables": {"i": soon}}, headers=headers)
    assert r.json()["data"]["apiKeyCreate"]["errors"] == [] and r.json()["data"]["apiKeyCreate"]["secret"]


async def test_the_development_sign_in_takes_posts_from_its_own_page_only(acme, make_client):
    from service.ids import pk_of

    rita = await create_user(acme, "Rita", role="RECRUITER")
    dev = make_client(dev_sign_in=True)
    r = await dev.post("/auth/dev", data={"user": str(pk_of(rita, "User"))}, headers={"origin": "https://evil.example"})
    assert r.status_code == 403 and SESSION_COOKIE not in dev.cookies
