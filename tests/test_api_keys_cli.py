"""API keys: the command line lists and revokes keys."""

from __future__ import annotations

from tests.api_keys import CREATED, refused_within
from tests.factories import create_api_key
from tests.helpers import hiregraph

# --- the command line -----------------------------------------------------------------------


async def test_cli_lists_and_revokes(acme, globex, migrated_url, http, engine):
    payload = await create_api_key(acme, "ci bot", ["postings:read"], selection=CREATED)
    done = hiregraph(migrated_url, "api-key", "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == [
        "ID",
        "PREFIX",
        "NAME",
        "STATUS",
        "COMPANIES",
        "SCOPES",
        "CREATED",
        "EXPIRES",
        "LAST",
        "USED",
        "REVOKED",
    ]
    assert len(lines) == 4
    number = str(payload["apiKey"]["number"])
    [row] = [line for line in lines if line.startswith(number + " ")]
    assert payload["apiKey"]["prefix"] in row and "ci bot" in row and "active" in row and "postings:read" in row
    assert payload["secret"] not in done.stdout

    ambiguous = hiregraph(migrated_url, "api-key", "revoke", "hg_")
    assert ambiguous.returncode == 2
    revoked = hiregraph(migrated_url, "api-key", "revoke", payload["apiKey"]["prefix"])
    assert revoked.returncode == 0, revoked.stderr
    assert f"revoked API key {number} ({payload['apiKey']['prefix']}…, 'ci bot')" in revoked.stdout
    assert await refused_within(http, payload["secret"], 1.0) < 1.0
    assert len(hiregraph(migrated_url, "api-key", "list").stdout.splitlines()) == 3
    listed_all = hiregraph(migrated_url, "api-key", "list", "--all").stdout
    assert "revoked" in listed_all and payload["secret"] not in listed_all
    unknown = hiregraph(migrated_url, "api-key", "revoke", "999")
    assert unknown.returncode == 2 and "no API key number 999" in unknown.stderr
