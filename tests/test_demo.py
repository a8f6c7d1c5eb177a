"""`seed-demo` loads the sample postings as structured data, idempotently."""

from __future__ import annotations

import hashlib

from sqlalchemy import text

from tests.applications import counts_disagreeing, stage_entries_disagreeing
from tests.helpers import hiregraph, snapshot

INTERVIEW_STAGES = ("Technical interview with the team", "Interview with the CEO and CTO")


async def test_seed_demo_twice_changes_nothing_and_keeps_the_key(migrated_url, engine, tmp_path, http):
    first = hiregraph(migrated_url, "seed-demo", data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip().splitlines()[-1]
    after_first = await snapshot(engine)
    second = hiregraph(migrated_url, "seed-demo", data_dir=tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip().splitlines()[-1] == key
    assert await snapshot(engine) == after_first
    assert after_first["companies"] == 2 and after_first["applications"] >= 40
    assert await stage_entries_disagreeing(engine) == []  # days in stage follow the story's dates
    assert await counts_disagreeing(engine) == []  # the kept application counts too

    r = await http.post(
        "/graphql",
        json={
            "query": """{ postings(first: 5, filter: {search: "backend"}) { nodes {
                title employmentType workplace regions applyUrl status
                company { slug }
                salaryRanges { min max currency period label }
                stages { name kind position }
                sections { interviewProcess }
                department { name parent { name } }
                office { name }
                hiringTeam { role responsible user { name role } }
                applications(first: 20) { nodes { history(first: 10) { nodes { actor actorUser { name } } }
                    interviews(first: 5) { nodes { title status interviewers { user { name } } } } } }
            } } }"""
        },
        headers={"Authorization": f"Bearer {key}"},
    )
    assert "data" in r.json(), r.json()
    postings = {p["company"]["slug"]: p for p in r.json()["data"]["postings"]["nodes"]}
    postmark = postings["postmark"]
    assert postmark["title"] == "Senior Backend Engineer"
    assert postmark["employmentType"] == "FULL_TIME"
    assert postmark["salaryRanges"] == []
    assert [(s["name"], s["kind"]) for s in postmark["stages"]] == [
        ("Applied", "APPLIED"),
        ("Written questions", "ASSESSMENT"),
        ("C# coding project", "ASSESSMENT"),
        ("Technical interview with the team", "INTERVIEW"),
        ("Interview with the CEO and CTO", "INTERVIEW"),
        ("Offer", "OFFER"),
        ("Hired", "HIRED"),
    ]
    assert postmark["sections"]["interviewProcess"]
    assert postmark["department"] == {"name": "Backend", "parent": {"name": "Engineering"}}
    assert postmark["office"] == {"name": "Remote"}
    assert [(m["role"], m["responsible"], m["user"]["name"]) for m in postmark["hiringTeam"]] == [
        ("HIRING_MANAGER", False, "Priya Raman"),
        ("RECRUITER", True, "Dana Whitfield"),
        ("COORDINATOR", False, "Marcus Lindqvist"),
        ("INTERVIEWER", False, "Priya Raman"),
        ("INTERVIEWER", False, "Tomás Ferreira"),
        ("INTERVIEWER", False, "Lena Hoffmann"),
        ("INTERVIEWER", False, "Arjun Mehta"),
    ]
    # Every move a person made names them; the first placement of an application is the system's.
    moves = [h for a in postmark["applications"]["nodes"] for h in a["history"]["nodes"][1:]]
    assert len(moves) >= 10
    assert all(h["actorUser"] is not None and h["actor"] == h["actorUser"]["name"] for h in moves), moves
    held = [i for a in postmark["applications"]["nodes"] for i in a["interviews"]["nodes"]]
    assert {i["status"] for i in held} == {"SCHEDULED", "COMPLETED"}, held
    assert all(i["title"] in INTERVIEW_STAGES for i in held)
    assert all([p["user"]["name"] for p in i["interviewers"]] == ["Priya Raman", "Tomás Ferreira"] for i in held)
    # The story holds together: an interview of a stage the applicant left was held, and its
    # scorecards submitted, before they left it, and every one of them was in favour (the move's
    # reason says the interviewers said yes); each rejection names one of the company's reasons.
    async with engine.connect() as conn:
        held_after_leaving = await conn.scalar(
            text(
                "SELECT count(*) FROM interviews i JOIN stage_transitions t "
                "ON t.application_id = i.application_id AND t.from_stage_id = i.stage_id "
                "WHERE i.status = 'COMPLETED' AND i.end_at > t.created_at"
            )
        )
        scored_after_leaving, against = (
            await conn.execute(
                text(
                    "SELECT count(*) FILTER (WHERE s.submitted_at > t.created_at), "
                    "count(*) FILTER (WHERE s.overall_recommendation IN ('NO', 'STRONG_NO')) "
                    "FROM scorecards s JOIN interviews i ON i.id = s.interview_id JOIN stage_transitions t "
                    "ON t.application_id = i.application_id AND t.from_stage_id = i.stage_id"
                )
            )
        ).one()
        completed = await conn.scalar(text("SELECT count(*) FROM interviews WHERE status = 'COMPLETED'"))
        hours = set(
            (await conn.execute(text("SELECT DISTINCT extract(hour FROM start_at AT TIME ZONE 'UTC') FROM interviews")))
            .scalars()
            .all()
        )
        rejected, with_reason = (
            await conn.execute(
                text("SELECT count(*), count(rejection_reason_id) FROM applications WHERE status = 'REJECTED'")
            )
        ).one()
    assert completed > 0 and held_after_leaving == 0 and scored_after_leaving == 0 and against == 0
    assert hours <= {14, 15, 16}, hours  # in the afternoon, as interviews are
    assert rejected > 0 and with_reason == rejected
    postscript = postings["postscript"]
    assert postscript["title"] == "Backend Engineer, Subscriber Data Platform"
    assert (postscript["employmentType"], postscript["workplace"], postscript["regions"]) == (
        "FULL_TIME",
        "REMOTE",
        ["North America"],
    )
    assert postscript["salaryRanges"] == [
        {"min": 65000.0, "max": 95000.0, "currency": "USD", "period": "YEAR", "label": "listing header"},
        {"min": 143000.0, "max": 167000.0, "currency": "USD", "period": "YEAR", "label": "benefits section"},
    ]
    assert "â€" not in r.text and "ðŸ" not in r.text
    offered = await http.post(
        "/graphql",
        json={
            "query": """{ offers(filter: {status: [SENT]}) { nodes { status compensation { amount currency }
                approvals { decision } application { posting { company { slug } } } } } }"""
        },
        headers={"Authorization": f"Bearer {key}"},
    )
    sent = offered.json()["data"]["offers"]["nodes"]
    assert any(o["application"]["posting"]["company"]["slug"] == "postscript" for o in sent), sent
    assert all(o["approvals"] == [{"decision": "APPROVED"}] for o in sent), sent
    slots = await http.post(
        "/graphql",
        json={
            "query": """{ postings(first: 50) { nodes { status applications(first: 100, status: [HIRED]) { totalCount }
                openings(first: 100) { nodes { status reference application { status } } } } } }"""
        },
        headers={"Authorization": f"Bearer {key}"},
    )
    seeded = slots.json()["data"]["postings"]["nodes"]
    assert any(o["status"] == "FILLED" for p in seeded for o in p["openings"]["nodes"]), seeded
    for posting in seeded:
        statuses = sorted(o["status"] for o in posting["openings"]["nodes"])
        if posting["status"] == "DRAFT":
            assert statuses == [], posting
            continue
        hired = posting["applications"]["totalCount"]
        spare = "CLOSED" if posting["status"] == "CLOSED" else "OPEN"
        assert statuses == sorted(["FILLED"] * hired + [spare]), posting
        filled = [o for o in posting["openings"]["nodes"] if o["status"] == "FILLED"]
        assert all(o["application"] == {"status": "HIRED"} and o["reference"] for o in filled), posting
    files = await http.post(
        "/graphql",
        json={
            "query": """{ attachments(first: 100) { totalCount nodes { kind filename contentType size sha256
                applicant { id } application { offers { totalCount } } } } }"""
        },
        headers={"Authorization": f"Bearer {key}"},
    )
    attached = files.json()["data"]["attachments"]
    resumes = [a for a in attached["nodes"] if a["kind"] == "RESUME"]
    letters = [a for a in attached["nodes"] if a["kind"] == "OFFER_LETTER"]
    assert len({a["applicant"]["id"] for a in resumes}) == len(resumes) >= 30  # one résumé each
    assert {a["contentType"] for a in resumes} == {"text/plain"}
    assert letters and all(
        a["contentType"] == "application/pdf" and a["application"]["offers"]["totalCount"] > 0 for a in letters
    )
    # The content is in the store under the data folder, each file's digest its row's.
    stored = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp_path / "files").rglob("*") if p.is_file()}
    assert stored == {a["sha256"] for a in attached["nodes"]} and attached["totalCount"] == len(attached["nodes"])
