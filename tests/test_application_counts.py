"""Application counts kept by the database (`application_counts`, migration 0040): a posting's and
a stage's `applications { totalCount }`, with and without a `status` filter, read them on both
read paths; every way an application is written, moved, closed or removed keeps them equal to
a count of the applications, concurrent writers too; work rolled back (a transaction, a
savepoint) leaves them as they were; `hiregraph recount` rebuilds them."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text

from service.applications.counts import recount
from service.ids import from_global_id
from tests.applications import counts_disagreeing
from tests.factories import create_application, create_posting, create_user, move_application, mutate_ok
from tests.helpers import Api, hiregraph, signed_in, snapshot
from tests.webhooks import until

COUNTS = """query($id: ID!) { node(id: $id) { ... on Posting {
  applications { totalCount }
  active: applications(status: [ACTIVE]) { totalCount }
  ended: applications(status: [REJECTED, HIRED, WITHDRAWN]) { totalCount }
  stages { applications { totalCount } active: applications(status: [ACTIVE]) { totalCount }
    ended: applications(status: [REJECTED, HIRED, WITHDRAWN, REJECTED]) { totalCount } } } } }"""


async def counted(engine: Any, posting_id: str) -> dict[str, Any]:
    """What `COUNTS` must answer, counted from the applications themselves."""
    pk = from_global_id(posting_id).pk
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT s.id, a.status, count(a.id) FROM pipeline_stages s "
                    "LEFT JOIN applications a ON a.stage_id = s.id AND a.company_id = s.company_id "
                    "WHERE s.posting_id = :p GROUP BY s.id, s.position, a.status ORDER BY s.position, s.id"
                ),
                {"p": pk},
            )
        ).all()
    stages: dict[int, dict[str, int]] = {}
    for stage, status, n in rows:
        stages.setdefault(stage, {})
        if status is not None:
            stages[stage][status] = n

    def total(counts: dict[str, int], statuses: tuple[str, ...] | None = None) -> dict[str, int]:
        return {"totalCount": sum(n for s, n in counts.items() if statuses is None or s in statuses)}

    every = {s: sum(c.get(s, 0) for c in stages.values()) for s in ("ACTIVE", "REJECTED", "HIRED", "WITHDRAWN")}
    return {
        "applications": total(every),
        "active": total(every, ("ACTIVE",)),
        "ended": total(every, ("REJECTED", "HIRED", "WITHDRAWN")),
        "stages": [
            {
                "applications": total(c),
                "active": total(c, ("ACTIVE",)),
                "ended": total(c, ("REJECTED", "HIRED", "WITHDRAWN")),
            }
            for c in stages.values()
        ],
    }


async def answered(api: Any, posting_id: str) -> dict[str, Any]:
    r = await api.gql(COUNTS, {"id": posting_id})
    assert r.status == 200 and "errors" not in r.body, r.body
    node: dict[str, Any] = r.body["data"]["node"]
    return node


async def agree(api: Api, engine: Any, *postings: str) -> None:
    assert await counts_disagreeing(engine) == []
    for posting in postings:
        assert await answered(api, posting) == await counted(engine, posting)


async def test_counts_follow_every_change_on_both_paths(acme, engine):
    posting = await create_posting(acme, "Counted", status="OPEN")
    other = await create_posting(acme, "Other", status="OPEN")
    stages = posting["stages"]
    made = [await create_application(acme, posting["id"], f"A{i}") for i in range(5)]
    await create_application(acme, other["id"], "B")
    await agree(acme, engine, posting["id"], other["id"])
    assert (await answered(acme, posting["id"]))["applications"] == {"totalCount": 5}

    await move_application(acme, made[0]["id"], stages[2]["id"])
    await move_application(acme, made[1]["id"], stages[2]["id"])
    await move_application(acme, made[1]["id"], stages[1]["id"])
    await agree(acme, engine, posting["id"])

    await mutate_ok(acme, "applicationReject", {"id": made[2]["id"], "reason": "Later"})
    await mutate_ok(acme, "applicationWithdraw", {"id": made[3]["id"]})
    await mutate_ok(acme, "applicationHire", {"id": made[0]["id"]})
    await agree(acme, engine, posting["id"])
    answer = await answered(acme, posting["id"])
    assert answer["active"] == {"totalCount": 2} and answer["ended"] == {"totalCount": 3}

    # An operator's delete: the applications one by one, then a posting with its applications.
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM applications WHERE id = :a"), {"a": from_global_id(made[4]["id"]).pk})
    await agree(acme, engine, posting["id"])
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM postings WHERE id = :p"), {"p": from_global_id(other["id"]).pk})
    await agree(acme, engine, posting["id"])
    async with engine.connect() as conn:
        left = (await conn.execute(text("SELECT count(*) FROM application_counts WHERE n <= 0"))).scalar_one()
    assert left == 0  # a (stage, status) with none has no row

    # Made and removed in one transaction; an applicant removed with their applications.
    third = await create_posting(acme, "Third", status="OPEN")
    first = {"p": from_global_id(third["id"]).pk, "s": from_global_id(third["stages"][0]["id"]).pk}
    async with engine.begin() as conn:
        made_here = await conn.execute(
            text(
                "INSERT INTO applications (company_id, applicant_id, posting_id, stage_id) "
                "SELECT company_id, applicant_id, :p, :s FROM applications WHERE id = :a RETURNING id"
            ),
            {"a": from_global_id(made[1]["id"]).pk, **first},
        )
        await conn.execute(text("DELETE FROM applications WHERE id = :a"), {"a": made_here.scalar_one()})
    await agree(acme, engine, posting["id"], third["id"])
    async with engine.begin() as conn:
        await conn.execute(
            text("DELETE FROM applicants WHERE id = (SELECT applicant_id FROM applications WHERE id = :a)"),
            {"a": from_global_id(made[1]["id"]).pk},
        )
    await agree(acme, engine, posting["id"], third["id"])
    assert (await answered(acme, posting["id"]))["applications"] == {"totalCount": 3}

    # A company removed in the transaction that moved its applications: counted down to no rows.
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE applications SET stage_id = :s WHERE id = :a"),
            {"a": from_global_id(made[0]["id"]).pk, "s": from_global_id(stages[3]["id"]).pk},
        )
        await conn.execute(text("DELETE FROM companies WHERE id = :c"), {"c": acme.company_pk})
    assert await counts_disagreeing(engine) == []
    async with engine.connect() as conn:
        kept = (await conn.execute(text("SELECT count(*) FROM application_counts"))).scalar_one()
    assert kept == 0


async def test_rolled_back_work_is_not_counted(acme, engine):
    posting = await create_posting(acme, "Counted", status="OPEN")
    application = await create_application(acme, posting["id"])
    pk, stages = from_global_id(application["id"]).pk, posting["stages"]
    before = await snapshot(engine)
    async with engine.connect() as conn:
        await conn.begin()
        await conn.execute(text("UPDATE applications SET status = 'HIRED' WHERE id = :a"), {"a": pk})
        await conn.rollback()
        async with conn.begin():  # a savepoint given up inside a transaction that commits
            await conn.execute(text("UPDATE applications SET status = 'REJECTED' WHERE id = :a"), {"a": pk})
            savepoint = await conn.begin_nested()
            moved = {"a": pk, "s": from_global_id(stages[2]["id"]).pk}
            await conn.execute(text("UPDATE applications SET stage_id = :s WHERE id = :a"), moved)
            await savepoint.rollback()
    assert before.changed(await snapshot(engine)) == ["application_counts", "applications"]
    await agree(acme, engine, posting["id"])
    answer = await answered(acme, posting["id"])
    assert (answer["active"], answer["ended"]) == ({"totalCount": 0}, {"totalCount": 1})
    assert answer["stages"][0]["applications"] == {"totalCount": 1}


async def test_concurrent_writers_are_all_counted(acme, engine):
    """Writers of one company commit one after another on its event lock (`emit`), so the
    deferred triggers never wait on each other here; they are all counted."""
    posting = await create_posting(acme, "Busy", status="OPEN")
    stages = posting["stages"]
    made = await asyncio.gather(*(create_application(acme, posting["id"], f"C{i}") for i in range(12)))
    # Moves in both directions between two stages at once, and closings beside them.
    await asyncio.gather(*(move_application(acme, a["id"], stages[1 + i % 2]["id"]) for i, a in enumerate(made)))
    await asyncio.gather(
        *(move_application(acme, a["id"], stages[2 - i % 2]["id"]) for i, a in enumerate(made[:8])),
        *(mutate_ok(acme, "applicationReject", {"id": a["id"]}) for a in made[8:]),
    )
    await agree(acme, engine, posting["id"])
    assert (await answered(acme, posting["id"]))["applications"] == {"totalCount": 12}


async def test_the_counts_are_read_not_counted_unless_the_reader_is_narrowed(acme, engine, make_client):
    """Both paths answer from `application_counts` (changed here by hand to tell); a hiring manager,
    who may see only some applications, gets a count of the applications instead."""
    posting = await create_posting(acme, "Read", status="OPEN")
    await create_application(acme, posting["id"], "Ann")
    await create_application(acme, posting["id"], "Bob")
    hank = await create_user(acme, "Hank", role="HIRING_MANAGER")
    await mutate_ok(
        acme,
        "postingHiringTeamSet",
        {"postingId": posting["id"], "members": [{"userId": hank, "role": "HIRING_MANAGER"}]},
    )
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE application_counts SET n = n + 40"))
    answer = await answered(acme, posting["id"])
    assert answer["applications"] == {"totalCount": 42}
    assert answer["active"] == {"totalCount": 42}
    assert answer["stages"][0]["applications"] == {"totalCount": 42}
    assert answer["stages"][0]["active"] == {"totalCount": 42}
    person = await signed_in(acme, make_client(dev_sign_in=True), hank)
    assert await answered(person, posting["id"]) == {
        "applications": {"totalCount": 2},
        "active": {"totalCount": 2},
        "ended": {"totalCount": 0},
        "stages": [
            {
                "applications": {"totalCount": 2 if i == 0 else 0},
                "active": {"totalCount": 2 if i == 0 else 0},
                "ended": {"totalCount": 0},
            }
            for i in range(len(posting["stages"]))
        ],
    }


async def test_emptying_the_applications_empties_the_counts(acme, engine):
    posting = await create_posting(acme, "Emptied", status="OPEN")
    await create_application(acme, posting["id"])
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE applications CASCADE"))
    await agree(acme, engine, posting["id"])
    assert (await answered(acme, posting["id"]))["applications"] == {"totalCount": 0}


async def test_recount_rebuilds_counts_wrong_missing_or_extra(acme, engine, migrated_url):
    posting = await create_posting(acme, "Restored", status="OPEN")
    made = [await create_application(acme, posting["id"], name) for name in ("Ann", "Bob", "Cy")]
    await mutate_ok(acme, "applicationReject", {"id": made[0]["id"]})
    agreeing = hiregraph(migrated_url, "recount")
    assert agreeing.returncode == 0, agreeing.stderr[-2000:]
    assert agreeing.stdout.strip().endswith("application counts agree")
    # What replaying `pg_dump --data-only` with the triggers on does (the counts come with the
    # dump, and loading the applications counts them again), and a row lost and one made up.
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE application_counts SET n = n * 2 WHERE status = 'ACTIVE'"))
        await conn.execute(text("DELETE FROM application_counts WHERE status = 'REJECTED'"))
        await conn.execute(
            text(
                "INSERT INTO application_counts (company_id, stage_id, status, posting_id, n) "
                "SELECT company_id, stage_id, 'HIRED', posting_id, 5 FROM application_counts"
            )
        )
    assert len(await counts_disagreeing(engine)) == 4  # ACTIVE kept and counted, REJECTED, HIRED
    checked = hiregraph(migrated_url, "recount", "--check")
    assert checked.returncode == 1, checked.stderr[-2000:]
    assert checked.stdout.strip().endswith("application counts: 3 wrong; `hiregraph recount` rebuilds them")
    assert len(await counts_disagreeing(engine)) == 4  # --check changed nothing
    # Two at once, both waiting behind a writer: the second waits for the first, then finds
    # nothing to do.
    async with engine.connect() as writer:
        await writer.begin()
        pk = from_global_id(made[1]["id"]).pk
        await writer.execute(text("UPDATE applications SET updated_at = now() WHERE id = :a"), {"a": pk})
        runs = [asyncio.create_task(recount(migrated_url)) for _ in range(2)]
        waiting = text("SELECT count(*) FROM pg_locks WHERE relation = 'applications'::regclass AND NOT granted")

        async def both_waiting() -> bool:
            async with engine.connect() as conn:
                return bool((await conn.execute(waiting)).scalar_one() == 2)

        await until(both_waiting)
        await writer.rollback()
    assert sorted(await asyncio.gather(*runs)) == [0, 3]
    rebuilt = hiregraph(migrated_url, "recount", "--check")
    assert rebuilt.returncode == 0 and rebuilt.stdout.strip().endswith("application counts agree")
    await agree(acme, engine, posting["id"])
    answer = await answered(acme, posting["id"])
    assert (answer["applications"], answer["ended"]) == ({"totalCount": 3}, {"totalCount": 1})


async def test_recount_gives_up_on_a_long_writer_and_changes_nothing(acme, engine, migrated_url):
    posting = await create_posting(acme, "Busy", status="OPEN")
    application = await create_application(acme, posting["id"])
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE application_counts SET n = 7"))
    async with engine.connect() as writer:
        await writer.begin()
        pk = from_global_id(application["id"]).pk
        await writer.execute(text("UPDATE applications SET updated_at = now() WHERE id = :a"), {"a": pk})
        busy = await asyncio.to_thread(hiregraph, migrated_url, "recount")
        await writer.rollback()
    assert busy.returncode == 1
    assert "were being written for over 5s; try again" in busy.stderr
    assert "Traceback" not in busy.stderr
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT n FROM application_counts"))).scalars().all() == [7]
