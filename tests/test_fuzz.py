"""Fuzzing: schemathesis, in GraphQL mode, generates queries and mutations from the live server's
introspected schema and sends them over real HTTP with a valid all-scopes key.

Every root field (query and mutation) gets POSITIVE_EXAMPLES schema-valid operations and
NEGATIVE_EXAMPLES deliberately invalid ones. `ID` arguments are drawn mostly from the IDs of real
rows (the fuzzing company's, and another company's that the key must not see), and `String`
arguments often from the seed data's values and from known troublemakers (NUL, LIKE/tsquery
syntax, quotes, control characters), so the generated operations reach real data rather than
stopping at "not found".

Any of these fails the test, with a reproducing request per finding:
- a 5xx response;
- a GraphQL error with `extensions.code = INTERNAL_SERVER_ERROR` (a masked exception);
- an ERROR record in the server's log while the operation ran (e.g. the compiled path falling
  back, which tests treat as a bug).

Generation is deterministic (`derandomize`, no example database), so CI runs the same operations
every time. `HIREGRAPH_FUZZ_EXAMPLES=200` runs a deeper search locally.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import graphql
import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core.result import Err
from schemathesis.generation import GenerationMode
from schemathesis.graphql import nodes
from schemathesis.specs.graphql.scalars import CUSTOM_SCALARS
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import build_board
from tests.live import LiveServer, LiveTenant, create_tenant, live_server, live_tenant  # noqa: F401

POSITIVE_EXAMPLES = int(os.environ.get("HIREGRAPH_FUZZ_EXAMPLES", "12"))
"""Schema-valid operations per root field; raise it locally for a deeper run (CI keeps 12)."""
NEGATIVE_EXAMPLES = max(1, POSITIVE_EXAMPLES // 3)
REQUEST_TIMEOUT = 30.0
MAX_FINDINGS_SHOWN = 20


@dataclass
class Seed:
    ids: list[str]
    """Global IDs of real rows: the tenant's, then another company's."""


async def _gql(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    r = await client.post("/graphql", json={"query": query, "variables": variables or {}})
    body: dict[str, Any] = r.json()
    assert r.status_code == 200 and not body.get("errors"), (r.status_code, body)
    data: dict[str, Any] = body["data"]
    return data


def _collect_ids(value: Any, into: list[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "id" and isinstance(item, str):
                into.append(item)
            else:
                _collect_ids(item, into)
    elif isinstance(value, list):
        for item in value:
            _collect_ids(item, into)


ID_QUERIES = (
    "{ companies(first: 10) { edges { node { id } } } }",
    "{ postings(first: 100) { edges { node { id stages { id } } } } }",
    "{ applicants(first: 100) { edges { node { id } } } }",
    "{ applications(first: 100) { edges { node { id history(first: 10) { edges { node { id } } } notes(first: 10) { edges { node { id } } } } } } }",
)
"""Every row a key can see, in queries within the cost limit."""


async def _all_ids(client: httpx.AsyncClient) -> list[str]:
    ids: list[str] = []
    for query in ID_QUERIES:
        _collect_ids(await _gql(client, query), ids)
    return ids


@pytest.fixture
async def seed(engine: AsyncEngine, live_server: LiveServer, live_tenant: LiveTenant) -> Seed:  # noqa: F811
    """Real rows to fuzz against: a board built directly in the database, plus an applicant,
    a posting, an application and a note created through the API; and another company's board."""
    await build_board(engine, live_tenant.company_pk, per_stage=2)
    other = await create_tenant(engine, live_server, "globex")
    await build_board(engine, other.company_pk, per_stage=1, title="Other")

    async with httpx.AsyncClient(
        base_url=live_server.base_url, headers=live_tenant.headers, timeout=REQUEST_TIMEOUT
    ) as client:
        posting = await _gql(
            client,
            "mutation($input: PostingCreateInput!) { postingCreate(input: $input) { posting { id stages { id } } errors { code } } }",
            {
                "input": {
                    "companyId": live_tenant.company_id,
                    "title": "Site reliability engineer",
                    "locations": ["Berlin"],
                    "description": "Keep the lights on.",
                }
            },
        )
        posting_id = posting["postingCreate"]["posting"]["id"]
        await _gql(
            client,
            "mutation($input: PostingPublishInput!) { postingPublish(input: $input) { errors { code } } }",
            {"input": {"id": posting_id}},
        )
        applicant = await _gql(
            client,
            "mutation($input: ApplicantCreateInput!) { applicantCreate(input: $input) { applicant { id } errors { code } } }",
            {
                "input": {
                    "companyId": live_tenant.company_id,
                    "name": "Ada Lovelace",
                    "emails": ["ada@example.com"],
                    "phones": ["+44 20 7946 0000"],
                    "links": [{"kind": "LINKEDIN", "url": "https://www.linkedin.com/in/ada"}],
                    "tags": ["math", "engines"],
                    "source": "referral",
                }
            },
        )
        applicant_id = applicant["applicantCreate"]["applicant"]["id"]
        application = await _gql(
            client,
            "mutation($input: ApplicationSubmitInput!) { applicationSubmit(input: $input) { application { id } errors { code } } }",
            {"input": {"applicantId": applicant_id, "postingId": posting_id, "source": "careers site"}},
        )
        application_id = application["applicationSubmit"]["application"]["id"]
        await _gql(
            client,
            "mutation($input: NoteCreateInput!) { noteCreate(input: $input) { note { id } errors { code } } }",
            {"input": {"applicationId": application_id, "body": "Strong on analytical engines.", "author": "Charles"}},
        )
        ids = await _all_ids(client)
    async with httpx.AsyncClient(base_url=live_server.base_url, headers=other.headers, timeout=REQUEST_TIMEOUT) as c:
        ids += await _all_ids(c)
    return Seed(ids=list(dict.fromkeys(ids)))


SEED_STRINGS = (
    "acme",
    "globex",
    "Ada",
    "Ada Lovelace",
    "ada@example.com",
    "Engineer",
    "Site reliability engineer",
    "Berlin",
    "math",
    "referral",
    "Applied",
    "Hired",
)
"""Values the seed data holds, so slugs, searches and filters find rows."""

EDGE_STRINGS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "%",
    "_",
    "\\",
    "'",
    "' OR '1'='1",
    "<script>alert(1)</script>",
    "\u202eevil",
    "🙂",
    "e\u0301",
    "NaN",
    "null",
    "-1",
    "0",
    "1e309",
    "2024-02-30T25:61:00Z",
    "https://example.com/",
    "mailto:ada@example.com",
    "&|!:*()",
    "x" * 5000,
)
"""Strings that trip up databases, full-text search and validators: NUL, LIKE and tsquery
syntax, quotes, control and combining characters, a long one."""


def scalar_values() -> Any:
    return st.one_of(
        st.sampled_from(EDGE_STRINGS).map(nodes.String),
        st.integers(-(2**63), 2**63).map(nodes.Int),
        st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
        st.booleans().map(nodes.Boolean),
        st.just(nodes.Null),
    )


def json_values() -> Any:
    """The fields of a JSON object literal: keys a company may define, and others."""
    names = st.from_regex(r"[_A-Za-z][_0-9A-Za-z]{0,8}", fullmatch=True)  # a literal's keys are GraphQL names
    keys = st.one_of(st.sampled_from(["note", "visa", "years", "BadKey", "x" * 70]), names)
    values = st.one_of(scalar_values(), st.lists(scalar_values(), max_size=3).map(nodes.List))
    field = st.tuples(keys, values).map(
        lambda kv: graphql.ObjectFieldNode(name=graphql.NameNode(value=kv[0]), value=kv[1])
    )
    return st.lists(field, max_size=4, unique_by=lambda f: f.name.value)


@pytest.fixture
def scalars(seed: Seed) -> Iterator[None]:
    """Steer generated scalars to real data and to edge cases: `ID` mostly from real rows,
    `String` often from the seed data's values and from EDGE_STRINGS, else arbitrary text."""
    overrides = {
        "ID": st.one_of(
            st.sampled_from(seed.ids).map(nodes.String),
            st.sampled_from(seed.ids).map(nodes.String),
            st.sampled_from(seed.ids).map(nodes.String),
            st.text(max_size=12).map(nodes.String),
        ),
        "String": st.one_of(
            st.sampled_from(SEED_STRINGS).map(nodes.String),
            st.sampled_from(EDGE_STRINGS).map(nodes.String),
            st.text().map(nodes.String),
        ),
        # A JSON request cannot carry a file part: a reference to one, or anything else.
        "Upload": st.sampled_from(["multipart:0", "x"]).map(nodes.String),
        # Custom field values and conditions: objects keyed like fields, and anything else.
        "JSON": st.one_of(json_values().map(lambda fields: nodes.Object(fields)), scalar_values()),
    }
    previous = {name: CUSTOM_SCALARS.get(name) for name in overrides}
    CUSTOM_SCALARS.update(overrides)
    yield
    for name, strategy in previous.items():
        if strategy is None:
            CUSTOM_SCALARS.pop(name, None)
        else:
            CUSTOM_SCALARS[name] = strategy


@pytest.fixture
def hypothesis_untouched() -> Iterator[None]:
    """Undo, after the test, what schemathesis patches into Hypothesis for speed (a printer that
    prints nothing, a larger buffer), so other Hypothesis tests keep readable falsifying examples.
    (Its pytest plugin, which would patch at import, is off: `-p no:schemathesis` in pyproject.)"""
    from hypothesis import core as root_core
    from hypothesis.internal import entropy
    from hypothesis.internal.conjecture import engine
    from hypothesis.strategies._internal import collections, core
    from schemathesis.generation.hypothesis import setup

    saved = [
        (module, name, getattr(module, name))
        for module, name in (
            (root_core, "RepresentationPrinter"),
            (root_core, "BUFFER_SIZE"),
            (engine, "BUFFER_SIZE"),
            (collections, "BUFFER_SIZE"),
            (core, "is_first_param_referenced_in_function"),
            (entropy, "register_random"),
        )
        if hasattr(module, name)
    ]
    yield
    for module, name, value in saved:
        setattr(module, name, value)
    setup._is_patched = False  # type: ignore[attr-defined]


EXCEPTION_LINE = re.compile(r"^(?P<type>[A-Za-z_][\w.]*): ")
"""The line a traceback ends with, `module.ExceptionType: message` (frames are indented)."""


def _cause(record: str) -> str:
    """The exception a logged record ends with (the first line if it has no traceback)."""
    lines = [line for line in record.splitlines() if EXCEPTION_LINE.match(line)]
    return lines[-1] if lines else record.splitlines()[0]


@dataclass
class Finding:
    operation: str
    problems: list[str]
    query: str
    status: int
    body: str

    def __str__(self) -> str:
        return (
            f"[{self.operation}] " + "\n  ".join(self.problems) + "\n"
            f"  HTTP {self.status}: {self.body[:600]}\n"
            f"  reproduce: POST /graphql {json.dumps({'query': self.query})}"
        )


@dataclass
class Run:
    server: LiveServer
    session: requests.Session
    log_offset: int = 0
    calls: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    """How the server answered: `data` (no errors), or the first error's code."""
    findings: list[Finding] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)

    def check(self, operation: str, case: Any) -> None:
        """Send one generated operation; record what went wrong, once per operation and cause."""
        response = case.call(session=self.session, timeout=REQUEST_TIMEOUT)
        self.calls += 1
        problems: list[str] = []
        if response.status_code >= 500:
            problems.append(f"server error {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = None
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            first = errors[0] if isinstance(errors[0], dict) else {}
            self.outcomes[str((first.get("extensions") or {}).get("code"))] += 1
        else:
            self.outcomes[
                "data" if isinstance(body, dict) and body.get("data") else f"HTTP {response.status_code}"
            ] += 1
        for error in errors or []:
            code = (error.get("extensions") or {}).get("code") if isinstance(error, dict) else None
            if code == "INTERNAL_SERVER_ERROR":
                problems.append(f"INTERNAL_SERVER_ERROR at {error.get('path')}: {error.get('message')}")
        # The server logs an unexpected error before it answers, so the log holds it by now.
        records, self.log_offset = self.server.read_errors(self.log_offset)
        causes = [_cause(record) for record in records]
        problems += [
            f"server logged: {record.splitlines()[0][:200]}\n    cause: {cause}"
            for record, cause in zip(records, causes, strict=True)
        ]
        if not problems:
            return
        exception = EXCEPTION_LINE.match(causes[-1]) if causes else None
        key = (operation, exception["type"] if exception else problems[0].split(":")[0])
        if key in self.seen:
            return
        self.seen.add(key)
        self.findings.append(Finding(operation, problems, str(case.body), response.status_code, response.text))


def _fuzz_operation(run: Run, operation: Any, mode: GenerationMode, examples: int) -> None:
    label = operation.label

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case: Any) -> None:
        run.check(label, case)

    fuzz()


def test_fuzz_graphql_operations(
    live_server: LiveServer,  # noqa: F811
    live_tenant: LiveTenant,  # noqa: F811
    scalars: None,
    hypothesis_untouched: None,
) -> None:
    started = time.monotonic()
    schema = schemathesis.graphql.from_url(
        live_server.graphql_url, headers=live_tenant.headers, timeout=REQUEST_TIMEOUT
    )
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            pytest.fail(f"schemathesis could not build an operation: {result.err()}")
        operations.append(result.ok())
    labels = [op.label for op in operations]
    assert any(label.startswith("Query.") for label in labels), labels
    assert any(label.startswith("Mutation.") for label in labels), labels

    session = requests.Session()
    session.headers.update(live_tenant.headers)
    run = Run(live_server, session, log_offset=live_server.mark())
    try:
        for operation in operations:
            _fuzz_operation(run, operation, GenerationMode.POSITIVE, POSITIVE_EXAMPLES)
            _fuzz_operation(run, operation, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES)
    finally:
        session.close()
    elapsed = time.monotonic() - started
    summary = (
        f"fuzz: {run.calls} operations over {len(operations)} root fields "
        f"({sum(label.startswith('Query.') for label in labels)} queries, "
        f"{sum(label.startswith('Mutation.') for label in labels)} mutations) in {elapsed:.1f} s; "
        f"{len(run.findings)} finding(s); answers: {dict(run.outcomes.most_common())}"
    )
    print(summary)
    for finding in run.findings:
        print(finding)
    assert run.calls >= 100, summary
    assert not run.findings, (
        summary
        + "\n\n"
        + "\n\n".join(str(f) for f in run.findings[:MAX_FINDINGS_SHOWN])
        + (f"\n… and {len(run.findings) - MAX_FINDINGS_SHOWN} more" if len(run.findings) > MAX_FINDINGS_SHOWN else "")
        + "\n"
        + live_server.log_tail(40)
    )
