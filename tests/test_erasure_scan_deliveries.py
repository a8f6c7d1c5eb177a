"""Deliveries received before an erasure and applied after it bring nothing back."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import text

from service.ids import from_global_id
from tests import ats, erasure_world
from tests.erasure_world import World, ashby, greenhouse, greenhouse_candidate, person, standard, workable
from tests.factories import create_applicant, mutate_ok
from tests.privacy import Hit, excerpt, report, scan_database

# The erasure world's fixtures, bound here for pytest.
log = erasure_world.log
world = erasure_world.world


# --- deliveries received before the erasure -----------------------------------------------------


RECORDS = ("applicants", "applicant_emails", "applications", "notes", "stage_transitions")
"""The tables of live records: where a delivery applied after the erasure would put the data."""


@pytest.mark.parametrize("address_reused", [False, True], ids=["address-free", "address-reused"])
async def test_a_delivery_received_before_the_erasure_brings_nothing_back_after_it(
    world: World, log: Any, address_reused: bool
) -> None:
    """Deliveries about the person received before the erasure and applied after it (waiting in
    the inbox, or retried with `inboundDeliveryRetry`) attach their data to nobody (not to a new
    applicant, not to someone who took the freed address since) and send it in no event."""
    w, m = world, world.marker
    w.applicant = (await create_applicant(w.api, **person(m, "create")))["id"]
    await w.deliver("greenhouse", greenhouse(m, "new_candidate_application", 0))
    await w.deliver("workable", workable(m, "candidate_created", 0, "Applied"))
    await w.drain()
    applied = await w.inbox()
    assert [d["status"] for d in applied] == ["APPLIED", "APPLIED"], applied
    # Received, not applied yet: a Greenhouse candidate known here, a Workable one keyed by the
    # address, and Ashby and Standard candidates new here whose address is the person's.
    late = {"greenhouse": "ghlate", "workable": "wklate", "ashby": "ashlate", "standard": "stdlate"}
    await w.deliver(
        "greenhouse",
        {"action": "update_candidate", "payload": {"candidate": greenhouse_candidate(m, late["greenhouse"])}},
    )
    await w.deliver("workable", workable(m, "candidate_moved", 20, ats.STAGES[0], tag=late["workable"]))
    await w.deliver("ashby", ashby(m, "applicationSubmit", 0, "Application Review", tag=late["ashby"]))
    await w.deliver("standard", standard(m, 0, tag=late["standard"], applicant_id="QXBwbGljYW50Ojk5OQ==")[0])
    before = await scan_database(w.engine, m, tables=["inbound_deliveries"])
    assert {tag for h in before for tag in h.tags} >= set(late.values()), "the late deliveries were not stored"

    await mutate_ok(w.api, "applicantErase", {"id": w.applicant})
    # What the erasure itself left is the other test's concern: here, only what comes back.
    left = set(await scan_database(w.engine, m, tables=RECORDS))
    async with w.engine.connect() as conn:
        last_event = (await conn.execute(text("SELECT coalesce(max(id), 0) FROM events"))).scalar_one()
        applicants = (await conn.execute(text("SELECT count(*) FROM applicants"))).scalar_one()
    requests = len(w.receiver.requests)
    someone = None
    if address_reused:
        someone = (await create_applicant(w.api, "Quinn Other", emails=[m.email.lower()]))["id"]
    await w.drain()
    for d in applied:
        await w.api.mutate("inboundDeliveryRetry", {"id": d["id"]}, "inboundDelivery { status }")
    await w.drain()

    # Someone who took the freed address holds it, and nothing else of the person's.
    def theirs(h: Hit) -> bool:
        return someone is not None and h.tags == frozenset({""})

    leaks: list[Hit] = []
    someone_pk = str(from_global_id(someone)[1]) if someone else None
    for h in set(await scan_database(w.engine, m, tables=RECORDS)) - left:
        own_row = h.location.startswith("applicant_emails.") or h.key == f"id={someone_pk}"
        if not (theirs(h) and own_row):
            leaks.append(h)
    async with w.engine.connect() as conn:
        since = {
            f"id={r.id}": (r.type, (r.payload.get("applicant") or {}).get("id"))
            for r in await conn.execute(text("SELECT id, type, payload FROM events WHERE id > :n"), {"n": last_event})
        }
    for h in await scan_database(w.engine, m, tables=["events"]):
        if h.key in since and not (theirs(h) and since[h.key] == ("applicant.created", someone)):
            leaks.append(h)
    regex = m.regex()
    for r in w.receiver.requests[requests:]:
        body = r.body.decode()
        if regex.search(body):
            sent = orjson.loads(body)
            hit = Hit("receiver", f"{sent['type']} event", sent["id"], excerpt(body, regex), frozenset(m.tags(body)))
            if not (theirs(hit) and (sent["type"], sent["data"]["applicant"]["id"]) == ("applicant.created", someone)):
                leaks.append(hit)
    assert not leaks, f"deliveries applied after the erasure brought back:\n{report(leaks)}"
    async with w.engine.connect() as conn:
        after = (await conn.execute(text("SELECT count(*) FROM applicants"))).scalar_one()
    assert after == applicants + (1 if address_reused else 0), "a delivery created an applicant from the erased data"
