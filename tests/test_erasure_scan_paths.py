"""Erasure through every path leaves no copy of the person, and every personal text a mutation takes is written by a path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from graphql import GraphQLInputObjectType, build_schema, get_named_type

from tests import erasure_world
from tests.erasure_checks import ERASURES, erase, lookup_filters, lookups, oracles
from tests.erasure_paths import NODE_TYPES, unwritten, write_everywhere
from tests.erasure_world import ROOT, World
from tests.privacy import Allowed, report, unexpected
from tests.privacy_graphql import scan_everything

# The erasure world's fixtures, bound here for pytest.
log = erasure_world.log
world = erasure_world.world


# Erasure that cannot be fooled: one person's data, carrying a unique marker, goes in through every
# path that takes personal data (the GraphQL mutations, the partner upserts, each ATS's signed
# deliveries, events delivered to a receiver that echoes them back: tests/erasure_paths.py); the
# person is erased, by `applicantErase` or by an ATS's own deletion; then every column of every
# table, every GraphQL read an admin key can make, and the log are searched for the marker
# (tests/privacy.py). Any hit that `ALLOWED` does not list fails the test.
#
# Before erasing, the same scan must find each path's own tag of the marker where that path writes
# it (`WRITTEN`), so a path that silently stopped carrying the marker cannot make the test pass;
# `test_the_scan_finds_a_marker_wherever_it_is_planted` (tests/test_erasure_scan_scanners.py)
# checks the scanners themselves.

ALLOWED: tuple[Allowed, ...] = ()
"""Where a person's data may stay after erasure, each with its reason; it must say what
docs/privacy.md says is kept. Nothing in Hiregraph's tables, GraphQL reads or log is: the
applicant, applications, stages and history stay, but anonymous. Copies outside what this test
reads (receivers that got events, backups, PostgreSQL's statistics and write-ahead log) are
docs/privacy.md's to describe ("Copies outside Hiregraph's tables"). Its "What is kept" table
keeps rows, ids, times, codes and one-way keys, none of which holds the marker. Persisted
documents that hold values written inline are
`test_persisted_documents_keep_inline_values_that_do_not_name_the_person`'s case."""


# --- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ERASURES)
async def test_erasure_leaves_no_copy_of_the_person(world: World, log: Any, how: str) -> None:
    w = world
    await write_everywhere(w)

    lines = log.getvalue().splitlines()
    assert any(line.startswith("{") for line in lines) and any(not line.startswith("{") for line in lines)
    before = await scan_everything(w.engine, w.api, log.getvalue(), w.marker)
    assert before.graphql.unread == [], before.graphql.unread
    assert set(before.graphql.visited) >= NODE_TYPES, NODE_TYPES - set(before.graphql.visited)
    assert unwritten(before) == {}, "\n".join(
        f"{tag or '(bare)'}: not in {sorted(missing)}; found in {sorted(before.locations(tag))}"
        for tag, missing in unwritten(before).items()
    )
    filters = await lookup_filters(w)
    assert len(await lookups(w, filters)) == len(filters) >= 6, "a search for the person found nobody"

    await erase(w, how)

    survivors = await oracles(w) + await lookups(w, filters)
    after = await scan_everything(w.engine, w.api, log.getvalue(), w.marker)
    assert after.graphql.unread == [], after.graphql.unread
    left = unexpected(after.hits + survivors, ALLOWED)
    assert not left, f"after {how}, the person's data is still in:\n{report(left)}"


WRITTEN_INPUTS = {
    "applicantCreate": {"name", "emails", "phones", "location", "links.url", "source", "tags", "customFields"},
    "applicantUpdate": {"name", "emails", "phones", "location", "links.url", "source", "tags", "customFields"},
    "applicantUpsert": {
        "name",
        "emails",
        "phones",
        "location",
        "links.url",
        "source",
        "tags",
        "externalId",
        "files.filename",
        "files.url",
        "customFields",
    },
    "applicationSubmit": {"source"},
    "applicationMove": {"reason"},
    "applicationReject": {"reason"},
    "applicationUpsert": {"rejectionReason", "customFields"},
    "customFieldValuesSet": {"customFields"},
    "noteCreate": {"body"},
    "attachmentUploadUrlCreate": {"filename"},
    "attachmentUpload": {"filename"},
    "interviewSchedule": {"note", "title", "location", "calendarEventId"},
    "interviewUpdate": {"note", "title", "location", "calendarEventId"},
    "scorecardCreate": {"summary", "attributes.note", "answers.answer"},
    "scorecardUpdate": {"summary", "attributes.note", "answers.answer"},
    "interviewUpsert": {"title", "location", "calendarEventId"},
    "offerCreate": {"notes", "customFields"},
    "offerUpdate": {"notes", "customFields"},
    "offerUpsert": {"notes", "customFields"},
}
"""The text inputs the paths above write the marker into (`externalId`: a partner keying a
person by address)."""

NOT_ABOUT_THE_PERSON = {
    "*.actor": "who moved or hired: the company's recruiter or system, kept (docs/privacy.md)",
    "*.author": "a note's author, the company's recruiter, kept (docs/privacy.md)",
    "*.provider": "a partner's key space",
    "applicationUpsert.externalId": "a partner's id for the application",
    "applicationUpsert.applicantExternalId": "a partner's id for the person, written by the applicant's upsert",
    "applicationUpsert.postingExternalId": "a partner's id for a posting",
    "applicationUpsert.stageExternalId": "a partner's id for a stage",
    "applicationUpsert.stageName": "the company's pipeline",
    "interviewUpsert.externalId": "a partner's id for the interview",
    **{f"{m}.compensation.currency": "a currency code" for m in ("offerCreate", "offerUpdate", "offerUpsert")},
    "offerUpsert.externalId": "a partner's id for the offer",
    **{
        f"{m}.customFields": "a posting's values: the company's"
        for m in ("postingCreate", "postingUpdate", "postingUpsert")
    },
    "offerUpsert.applicationExternalId": "a partner's id for the application",
    "interviewUpsert.applicationExternalId": "a partner's id for the application",
    "interviewUpsert.timezone": "the company's schedule: a time zone",
    "interviewUpsert.videoUrl": "the company's schedule: a meeting link",
    **{
        f"interviewUpsert.{who}.{name}": "the company's interviewers, not the applicant"
        for who in ("organizer", "interviewers")
        for name in ("externalId", "email", "name")
    },
    **{
        f"{mutation}.{name}": "the company's schedule: a time zone, a meeting link"
        for mutation in ("interviewSchedule", "interviewUpdate")
        for name in ("timezone", "videoUrl")
    },
    **{
        f"{mutation}.{name}": "the company's feedback form: what it rates and asks"
        for mutation in ("scorecardCreate", "scorecardUpdate")
        for name in ("templateName", "attributes.name", "attributes.category", "answers.question")
    },
}
"""Text inputs of the applicant, application and note mutations that hold no personal data
(`*`: of any of them)."""

COMPANY_MUTATIONS = (
    "company",
    "posting",
    "stage",
    "webhook",
    "integration",
    "apiKey",
    "inboundDelivery",
    "user",
    "department",
    "office",
    "opening",
    "rejectionReason",
    "source",
    "tag",
    "customFieldCreate",
    "customFieldUpdate",
    "customFieldUpsert",
)
"""Mutations of the company's own records, people and configuration: no applicant's data."""


def test_every_text_a_mutation_takes_about_a_person_is_written_by_a_path() -> None:
    """A new mutation, or a new text input of one, fails here until a path of the erasure test
    writes the marker into it or it is classified as not about the person."""
    schema = build_schema((ROOT / "schema.graphql").read_text())
    assert schema.mutation_type is not None
    unclassified = []
    for name, field in schema.mutation_type.fields.items():
        if name.startswith(COMPANY_MUTATIONS):
            continue

        def texts(t: Any, prefix: str = "") -> Iterator[str]:
            for input_name, input_field in t.fields.items():
                inner = get_named_type(input_field.type)
                if isinstance(inner, GraphQLInputObjectType):
                    yield from texts(inner, f"{prefix}{input_name}.")
                elif inner.name in ("String", "JSON"):
                    yield f"{prefix}{input_name}"

        for arg in field.args.values():
            for path in texts(get_named_type(arg.type)):
                known = (
                    path in WRITTEN_INPUTS.get(name, ())
                    or {f"{name}.{path}", f"*.{path}"} & NOT_ABOUT_THE_PERSON.keys()
                )
                if not known:
                    unclassified.append(f"{name}.{path}")
    assert unclassified == []
