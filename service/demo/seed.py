"""Loading the demo data set through the domain services, and handing out the demo API key.

Running it again changes nothing: the data is skipped when the first demo company exists, and
the key is kept while the secret stored under the data directory still works.
"""

from __future__ import annotations

import os
import random
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.applicants import service as applicants
from service.applicants.models import Applicant
from service.applications import service as applications
from service.applications.models import Application, ApplicationStatus, Note, StageTransition
from service.attachments import service as attachments
from service.attachments.models import AttachmentKind
from service.attachments.storage import Storage, storage_for
from service.auth import service as auth
from service.auth.models import ApiKey
from service.auth.scopes import ADMIN
from service.catalogues import service as catalogues
from service.catalogues.models import Source, Tag
from service.companies import service as companies
from service.companies.models import Company
from service.customfields import service as customfields
from service.db.engine import Database, session_factory
from service.db.tenancy import keep_to
from service.demo import staff as staff_of
from service.demo.data import (
    COMPANIES,
    CUSTOM_FIELDS,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    MOVE_REASONS,
    NOTES,
    PLACES,
    POSTINGS,
    REJECTION_CATALOGUE,
    REJECTION_REASONS,
    SOURCE_TYPES,
    SOURCES,
    VISA_STATUSES,
    CompanySeed,
    PostingSeed,
)
from service.demo.staff import ascii_name
from service.eeoc import service as eeoc
from service.eeoc.models import DisabilityStatus, Gender, Race, VeteranStatus
from service.errors import DomainError, ErrorCode
from service.offers.models import Offer
from service.openings import service as openings
from service.pipeline import service as pipeline
from service.pipeline.models import PipelineStage, StageKind
from service.postings import service as postings
from service.postings.models import Posting, PostingStatus
from service.reasons.models import RejectionReason
from service.settings import Settings
from service.users.models import User

RANDOM_SEED = 20251123
KEY_NAME = "demo"
KEY_FILE = "demo-api-key"
KEY_LOCK = 0x6869726567726170
"""Advisory lock id ("hiregrap" in ASCII): two seeders never mint demo keys at once."""
APPLICANTS_PER_COMPANY = 20
SHARED_APPLICANTS = 3
"""People who apply to both companies, as one applicant in each."""
NOTES_PER_COMPANY = 4


@dataclass(frozen=True, slots=True)
class Person:
    """An invented applicant, before they belong to a company."""

    name: str
    email: str
    phones: list[str]
    location: str
    links: list[tuple[str, str]]
    source: str


@dataclass(slots=True)
class SeededPosting:
    """A created posting with its stages in pipeline order."""

    seed: PostingSeed
    posting: Posting
    stages: list[PipelineStage]

    def stage(self, name: str) -> PipelineStage:
        return next(s for s in self.stages if s.name == name)


@dataclass(slots=True)
class Story:
    """One seeded application and when its events happened.

    `times` holds one entry per history row, then the rejection or withdrawal if any.
    """

    application: Application
    reached: PipelineStage
    times: list[datetime]
    transitions: int
    notes: list[tuple[Note, datetime]] = field(default_factory=list)
    path: list[PipelineStage] = field(default_factory=list)
    """The stages it went through, the first placement first."""


async def seed_demo(url: str, settings: Settings) -> str:
    """Load the demo data set unless it is there already; return a working demo API key secret."""
    engine = Database(url).engine(pool_size=2, max_overflow=0)
    try:
        make_session = session_factory(engine)
        storage = storage_for(settings)
        try:
            async with make_session() as session, session.begin():
                now = datetime.now(UTC).replace(second=0, microsecond=0)
                await _load(session, storage, random.Random(RANDOM_SEED), now)
        finally:
            await storage.close()
        async with make_session() as session, session.begin():
            return await _demo_key(session, settings.data_dir / KEY_FILE)
    finally:
        await engine.dispose()


async def _load(session: AsyncSession, storage: Storage, rng: random.Random, now: datetime) -> None:
    """Create the demo companies and everything in them, unless the first one exists."""
    created: list[tuple[CompanySeed, Company]] = []
    for seed in COMPANIES:
        try:
            company = await companies.create_company(
                session, name=seed.name, slug=seed.slug, website=seed.website, description=seed.description
            )
        except DomainError as exc:
            if exc.code is ErrorCode.DUPLICATE and not created:
                return
            raise
        created.append((seed, company))
    stride = APPLICANTS_PER_COMPANY - SHARED_APPLICANTS
    north_america = {
        i
        for n, (seed, _) in enumerate(created)
        if seed.north_america_only
        for i in range(n * stride, n * stride + APPLICANTS_PER_COMPANY)
    }
    people = _people(rng, stride * (len(created) - 1) + APPLICANTS_PER_COMPANY, north_america)
    for n, (seed, company) in enumerate(created):
        company.created_at = company.updated_at = now - timedelta(days=90)
        keep_to(session.sync_session, [company.id])  # each company's statements keep to it, as a mutation's do
        await _load_company(
            session, storage, rng, now, seed, company, people[n * stride : n * stride + APPLICANTS_PER_COMPANY]
        )
    await session.flush()


async def _lists(session: AsyncSession, seed: CompanySeed, company: Company) -> dict[str, RejectionReason]:
    """The company's sources, tags and rejection reasons, before the applicants that name them;
    returns the rejection reasons by name."""
    for name, kind in SOURCE_TYPES.items():
        await catalogues.create_entry(session, Source, company.id, {"name": name, "type": kind})
    tags = {tag for p in POSTINGS if p.company == seed.slug for tag in p.tags} | {"referral"}
    for name in sorted(tags):
        await catalogues.create_entry(session, Tag, company.id, {"name": name})
    return {
        name: await catalogues.create_entry(session, RejectionReason, company.id, {"name": name, "type": kind})
        for name, kind in REJECTION_CATALOGUE.items()
    }


def _people(rng: random.Random, count: int, north_america: set[int]) -> list[Person]:
    """`count` people with distinct names; those whose index is in `north_america` live there."""
    pairs = rng.sample(range(len(FIRST_NAMES) * len(LAST_NAMES)), count)
    people = []
    for i, pair in enumerate(pairs):
        first, last = FIRST_NAMES[pair // len(LAST_NAMES)], LAST_NAMES[pair % len(LAST_NAMES)]
        place = rng.choice([p for p in PLACES if p.north_america or i not in north_america])
        handle = f"{ascii_name(first)}{ascii_name(last)}"
        links = []
        if rng.random() < 0.8:
            links.append(
                (
                    "LINKEDIN",
                    f"https://www.linkedin.com/in/{ascii_name(first)}-{ascii_name(last)}-{rng.randrange(16**4):04x}",
                )
            )
        if rng.random() < 0.6:
            links.append(("GITHUB", f"https://github.com/{handle}"))
        if rng.random() < 0.2:
            links.append(("WEBSITE", f"https://{handle}.example.net"))
        if rng.random() < 0.1:
            links.append(("OTHER", f"https://talks.example.org/{handle}"))
        people.append(
            Person(
                name=f"{first} {last}",
                email=f"{ascii_name(first)}.{ascii_name(last)}@{rng.choice(EMAIL_DOMAINS)}",
                phones=[place.phone.format(i)] if place.phone and rng.random() < 0.8 else [],
                location=place.name,
                links=links,
                source=rng.choice(SOURCES),
            )
        )
    return people


async def _load_company(
    session: AsyncSession,
    storage: Storage,
    rng: random.Random,
    now: datetime,
    seed: CompanySeed,
    company: Company,
    people: Sequence[Person],
) -> None:
    """Create one company's postings, applicants, applications and notes, then date them."""
    staff, placed = await staff_of.organisation(session, seed, company)
    catalogue = await _lists(session, seed, company)
    seeded: list[SeededPosting] = []
    for posting_seed in (p for p in POSTINGS if p.company == seed.slug):
        posting = await postings.create_posting(
            session, company.id, posting_seed.fields() | placed, posting_seed.stages
        )
        await staff_of.hiring_team(session, seed, posting, staff)
        if posting_seed.status is not PostingStatus.DRAFT:
            posting = await postings.change_status(session, posting, PostingStatus.OPEN)
        seeded.append(SeededPosting(posting_seed, posting, await pipeline.stages_of(session, posting.id)))

    tracks = [(sp, reached, outcome) for sp in seeded for reached, outcome in sp.seed.applications]
    rng.shuffle(tracks)
    held: list[Applicant] = []
    applied_to: list[set[int]] = []
    first_applied: list[datetime] = []
    stories: list[Story] = []
    for i, (sp, reached, outcome) in enumerate(tracks):
        if i < len(people):
            who = i
            held.append(await _create_applicant(session, rng, company, people[i], sp.seed))
            applied_to.append(set())
            first_applied.append(now)
        else:
            who = rng.choice([j for j in range(len(held)) if sp.posting.id not in applied_to[j]])
        story = await _apply(
            session, rng, now, seed, sp, held[who], people[who].source, reached, outcome, staff, catalogue
        )
        applied_to[who].add(sp.posting.id)
        first_applied[who] = min(first_applied[who], story.times[0])
        stories.append(story)

    for sp in seeded:
        if sp.seed.status is PostingStatus.CLOSED:
            sp.posting = await postings.change_status(session, sp.posting, PostingStatus.CLOSED)

    unused = {kind: list(bodies) for kind, bodies in NOTES.items()}
    noted = 0
    for story in rng.sample(stories, len(stories)):
        if noted == NOTES_PER_COMPANY:
            break
        bodies = unused.get(story.reached.kind)
        if not bodies:
            continue
        body = bodies.pop(rng.randrange(len(bodies)))
        note = await applications.create_note(
            session, story.application, body=body, author=staff_of.actor(rng, seed, story.reached.kind, staff)
        )
        noted += 1
        story.notes.append((note, story.times[story.transitions - 1] + timedelta(hours=rng.randint(1, 12))))

    for applicant, at in zip(held, first_applied, strict=True):
        applicant.created_at = applicant.updated_at = at
    for story in stories:
        await staff_of.interviews(session, rng, now, seed, story.application, story.path, story.times, staff)
        await staff_of.offer(session, seed, story.application, story.path, staff)
    await _custom_fields(session, rng, company, seeded, stories)
    await _date(session, now, company, seeded, stories)
    await _openings(session, seeded, stories)
    await _attachments(session, storage, company, stories, {id(a): p for a, p in zip(held, people, strict=False)})


async def _custom_fields(
    session: AsyncSession,
    rng: random.Random,
    company: Company,
    seeded: Sequence[SeededPosting],
    stories: Sequence[Story],
) -> None:
    """The company's custom fields; a cost center on each posting, a visa status on the
    applications past the screen, and EEOC answers (the voluntary survey) on about a third."""
    for object_type, key, name, value_type, options in CUSTOM_FIELDS:
        values = {"object_type": object_type, "key": key, "name": name, "value_type": value_type, "options": options}
        await customfields.create_field(session, company.id, values)
    for n, sp in enumerate(seeded):
        sp.posting = await postings.update_posting(
            session, sp.posting, {"custom_fields": {"cost_center": f"ENG-{201 + n}"}}
        )
    for story in stories:
        if len(story.path) > 2:
            visa = {"visa_status": rng.choice(VISA_STATUSES)}
            story.application = await applications.set_custom_fields(session, story.application, visa)
        if rng.random() < 0.35:
            answers = {
                "gender": rng.choice(list(Gender)),
                "race": rng.choice(list(Race)),
                "veteran_status": rng.choice(list(VeteranStatus)),
                "disability_status": rng.choice(list(DisabilityStatus)),
                "submitted_at": story.times[0],
            }
            await eeoc.submit(session, story.application, answers)


async def _attachments(
    session: AsyncSession,
    storage: Storage,
    company: Company,
    stories: Sequence[Story],
    people: dict[int, Person],
) -> None:
    """Each applicant's résumé (plain text made from their details), given with their first
    application and dated with it; each offer's letter (a one-page PDF) on its application."""
    seen: set[int] = set()
    for story in sorted(stories, key=lambda s: s.times[0]):
        applicant = await session.get(Applicant, story.application.applicant_id)
        if applicant is None or applicant.id in seen:
            continue
        seen.add(applicant.id)
        person = people.get(id(applicant))
        resume = f"{applicant.name}\n{applicant.location or ''}\n{person.email if person else ''}\n\nExperience\n"
        made = await attachments.attach(
            session,
            storage,
            applicant,
            story.application,
            AttachmentKind.RESUME,
            f"{ascii_name(applicant.name).replace(' ', '-')}-resume.txt",
            resume.encode(),
        )
        made.created_at = made.updated_at = story.times[0]
    for offer in (await session.scalars(select(Offer).where(Offer.company_id == company.id))).all():
        application = await session.get(Application, offer.application_id)
        applicant = await session.get(Applicant, application.applicant_id) if application else None
        if application is None or applicant is None:
            continue
        letter = await attachments.attach(
            session,
            storage,
            applicant,
            application,
            AttachmentKind.OFFER_LETTER,
            f"offer-{ascii_name(applicant.name).replace(' ', '-')}.pdf",
            _letter(company.name, applicant.name),
        )
        letter.created_at = letter.updated_at = offer.created_at


def _letter(company: str, name: str) -> bytes:
    """A minimal one-page PDF saying who offers what to whom."""
    words = (
        f"{company}: offer of employment to {name}".encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    )
    stream = b"BT /F1 14 Tf 72 720 Td (" + words + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


async def _openings(session: AsyncSession, seeded: Sequence[SeededPosting], stories: Sequence[Story]) -> None:
    """A published posting has an opening per hire, filled by it, and one more: still open while
    the posting is, closed with it otherwise. Dated like the rest (after `_date`): opened with
    the posting, filled when the hire was made, closed with the posting."""
    for sp in seeded:
        if sp.seed.status is PostingStatus.DRAFT:
            continue
        hires = [
            s
            for s in stories
            if s.application.posting_id == sp.posting.id and s.application.status is ApplicationStatus.HIRED
        ]
        slots = []
        for number in range(1, len(hires) + 2):
            slot = await openings.create_opening(session, sp.posting, {"reference": f"REQ-{sp.posting.id}-{number}"})
            slot.created_at = slot.updated_at = sp.posting.created_at
            slots.append(slot)
        for slot, hire in zip(slots, hires, strict=False):
            await openings.fill_opening(session, slot, hire.application)
            slot.closed_at = slot.updated_at = hire.times[-1]
        if sp.seed.status is PostingStatus.CLOSED and sp.posting.closed_at is not None:
            await openings.close_opening(session, slots[-1], "Posting closed")
            slots[-1].closed_at = slots[-1].updated_at = sp.posting.closed_at


async def _create_applicant(
    session: AsyncSession, rng: random.Random, company: Company, person: Person, posting: PostingSeed
) -> Applicant:
    tags = rng.sample(posting.tags, min(len(posting.tags), rng.randint(1, 3)))
    if person.source == "Referral":
        tags.append("referral")
    return await applicants.create_applicant(
        session,
        company.id,
        {
            "name": person.name,
            "emails": [person.email],
            "phones": person.phones,
            "location": person.location,
            "links": person.links,
            "source": person.source,
            "tags": sorted(tags),
        },
    )


async def _apply(
    session: AsyncSession,
    rng: random.Random,
    now: datetime,
    seed: CompanySeed,
    sp: SeededPosting,
    applicant: Applicant,
    source: str,
    reached_name: str,
    outcome: ApplicationStatus,
    staff: dict[str, User],
    catalogue: dict[str, RejectionReason],
) -> Story:
    """Apply, move stage by stage up to `reached_name`, then end as `outcome` says.

    The events are spaced 1.5 to 6 days apart and fall while the posting was open.
    """
    reached = sp.stage(reached_name)
    path = sp.stages[1 : sp.stages.index(reached) + 1]
    steps = len(path) + (outcome is not ApplicationStatus.ACTIVE)
    gaps = [timedelta(minutes=rng.randint(36 * 60, 6 * 24 * 60)) for _ in range(steps)]
    published = now - timedelta(days=sp.seed.published_days_ago or 0)
    ends = now - timedelta(days=sp.seed.closed_days_ago or 0)
    first = published + timedelta(days=1)
    last = ends - timedelta(days=1) - sum(gaps, timedelta())
    applied_at = (first + (last - first) * rng.random()).replace(second=0, microsecond=0)
    times = [applied_at]
    for gap in gaps:
        times.append(times[-1] + gap)

    application, _ = await applications.submit(
        session,
        applicant,
        sp.posting,
        source=source,
        applied_at=applied_at,
        actor=staff_of.actor(rng, seed, StageKind.APPLIED, staff) if source == "Sourced" else None,
    )
    for left, stage in zip(sp.stages, path, strict=False):
        reasons = MOVE_REASONS.get(left.kind)
        application = await applications.move(
            session,
            application,
            stage,
            actor=staff_of.actor(rng, seed, stage.kind, staff),
            reason=rng.choice(reasons) if reasons else None,
        )
    transitions = 1 + len(path)
    if outcome is ApplicationStatus.REJECTED:
        picked = rng.choice(REJECTION_REASONS[reached.kind]) if reached.kind in REJECTION_REASONS else None
        application = await applications.reject(
            session,
            application,
            reason=picked[0] if picked else None,
            because=catalogue[picked[1]] if picked else None,
        )
    elif outcome is ApplicationStatus.WITHDRAWN:
        application = await applications.withdraw(session, application)
    elif outcome is ApplicationStatus.HIRED:
        application = await applications.hire(
            session, application, actor=staff_of.actor(rng, seed, StageKind.HIRED, staff)
        )
        transitions += 1
    return Story(application, reached, times, transitions, path=[sp.stages[0], *path])


async def _date(
    session: AsyncSession, now: datetime, company: Company, seeded: Sequence[SeededPosting], stories: Sequence[Story]
) -> None:
    """Give rows the times their story happened at; the services stamp everything `now()`."""
    for sp in seeded:
        created = now - timedelta(days=sp.seed.created_days_ago)
        sp.posting.created_at = created
        if sp.seed.published_days_ago is not None:
            sp.posting.published_at = now - timedelta(days=sp.seed.published_days_ago)
        if sp.seed.closed_days_ago is not None:
            sp.posting.closed_at = now - timedelta(days=sp.seed.closed_days_ago)
        sp.posting.updated_at = sp.posting.closed_at or sp.posting.published_at or created
        for stage in sp.stages:
            stage.created_at = stage.updated_at = created

    by_application = {story.application.id: story for story in stories}
    history = (
        await session.execute(
            select(StageTransition)
            .where(StageTransition.company_id == company.id)
            .order_by(StageTransition.application_id, StageTransition.id)
        )
    ).scalars()
    position: dict[int, int] = {}
    for row in history:
        i = position.get(row.application_id, 0)
        position[row.application_id] = i + 1
        row.created_at = by_application[row.application_id].times[i]
    for story in stories:
        if position.get(story.application.id) != story.transitions:
            raise RuntimeError(f"application {story.application.id}: history does not match its story")
        story.application.updated_at = story.times[-1]
        for note, at in story.notes:
            note.created_at = note.updated_at = at
    await session.flush()
    await applications.date_stage_entries(session, list(by_application))


async def _demo_key(session: AsyncSession, path: Path) -> str:
    """Return the stored demo key if it still works for every demo company, else mint a new one."""
    await session.execute(select(func.pg_advisory_xact_lock(KEY_LOCK)))
    demo = await companies.companies_by_slugs(session, [seed.slug for seed in COMPANIES])
    company_ids = {c.id for c in demo}
    secret = _read_secret(path)
    if secret is not None:
        principal = await auth.principal_for_secret(await session.connection(), secret)
        if principal is not None and company_ids <= set(principal.company_ids):
            return secret
    live = await session.execute(select(ApiKey.id).where(ApiKey.name == KEY_NAME, ApiKey.revoked_at.is_(None)))
    for key_id in live.scalars().all():
        await auth.revoke(session, key_id)
    _, secret = await auth.create_api_key(session, name=KEY_NAME, company_ids=sorted(company_ids), scopes=[ADMIN])
    _write_secret(path, secret)
    return secret


def _read_secret(path: Path) -> str | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return text or None


def _write_secret(path: Path, secret: str) -> None:
    """Replace `path` with `secret`, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secret + "\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
