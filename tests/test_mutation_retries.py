"""A mutation PostgreSQL picks to break a deadlock runs again instead of failing: its transaction
was rolled back whole, so running it again is safe."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text

from service.ids import from_global_id
from tests.factories import create_application, create_posting, mutate_ok


async def test_a_deadlocked_mutation_runs_again_and_succeeds(acme, engine, caplog):
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], "Ada", selection="id applicant { id }")
    offer = await mutate_ok(acme, "offerCreate", {"applicationId": application["id"]}, "offer { id }")
    offer_pk = from_global_id(offer["offer"]["id"])[1]
    applicant_pk = from_global_id(application["applicant"]["id"])[1]
    caplog.set_level(logging.INFO, logger="service.graphql.mutations")
    async with engine.connect() as other:
        # Another writer (an erasure, say) holds the applicant, then wants the offer.
        await other.execute(text("SELECT 1 FROM applicants WHERE id = :id FOR UPDATE"), {"id": applicant_pk})
        # The mutation locks the offer, then waits for the applicant (its erasure check).
        update = asyncio.create_task(
            acme.mutate("offerUpdate", {"id": offer["offer"]["id"], "notes": "mine"}, "offer { notes }")
        )
        await asyncio.sleep(0.5)
        await other.execute(text("UPDATE offers SET notes = 'theirs' WHERE id = :id"), {"id": offer_pk})
        await other.commit()
    payload = await asyncio.wait_for(update, 30)
    assert payload["errors"] == [] and payload["offer"]["notes"] == "mine", payload
    assert any("retried after 40P01" in r.getMessage() for r in caplog.records), [
        r.getMessage() for r in caplog.records
    ]
