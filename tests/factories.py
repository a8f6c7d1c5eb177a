"""Bulk builders that write rows directly, for tests that need volume rather than behaviour."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from service.applicants.models import Applicant
from service.applications.models import Application, StageTransition
from service.pipeline.models import PipelineStage, StageKind
from service.pipeline.service import DEFAULT_PIPELINE
from service.postings.models import Posting, PostingStatus


@dataclass
class Board:
    posting_pk: int
    stage_pks: list[int]
    application_pks: list[int]


async def build_board(engine: AsyncEngine, company_pk: int, per_stage: int, *, title: str = "Engineer") -> Board:
    """One OPEN posting with the default pipeline and `per_stage` applications at every stage,
    each with a history row for every stage it passed through."""
    async with engine.begin() as conn:
        posting_pk = (
            await conn.execute(
                insert(Posting)
                .values(company_id=company_pk, title=title, status=PostingStatus.OPEN)
                .returning(Posting.id)
            )
        ).scalar_one()
        stage_pks = list(
            (
                await conn.execute(
                    insert(PipelineStage).returning(PipelineStage.id, sort_by_parameter_order=True),
                    [
                        {"company_id": company_pk, "posting_id": posting_pk, "position": i, "name": n, "kind": k}
                        for i, (n, k) in enumerate(DEFAULT_PIPELINE)
                    ],
                )
            ).scalars()
        )
        existing = (await conn.execute(select(Applicant.id).where(Applicant.company_id == company_pk))).scalars().all()
        total = per_stage * len(stage_pks)
        new = total - len(existing)
        applicant_pks = list(existing)
        if new > 0:
            applicant_pks += list(
                (
                    await conn.execute(
                        insert(Applicant).returning(Applicant.id, sort_by_parameter_order=True),
                        [
                            {"company_id": company_pk, "name": f"Applicant {i}", "emails": [f"a{i}@example.com"]}
                            for i in range(len(existing), total)
                        ],
                    )
                ).scalars()
            )
        rows = []
        for s, stage_pk in enumerate(stage_pks):
            for i in range(per_stage):
                rows.append(
                    {
                        "company_id": company_pk,
                        "applicant_id": applicant_pks[s * per_stage + i],
                        "posting_id": posting_pk,
                        "stage_id": stage_pk,
                    }
                )
        application_pks = list(
            (
                await conn.execute(insert(Application).returning(Application.id, sort_by_parameter_order=True), rows)
            ).scalars()
        )
        names = [n for n, _ in DEFAULT_PIPELINE]
        history = []
        for s in range(len(stage_pks)):
            for i in range(per_stage):
                app_pk = application_pks[s * per_stage + i]
                for step in range(s + 1):
                    history.append(
                        {
                            "company_id": company_pk,
                            "application_id": app_pk,
                            "from_stage_id": stage_pks[step - 1] if step else None,
                            "from_stage_name": names[step - 1] if step else None,
                            "to_stage_id": stage_pks[step],
                            "to_stage_name": names[step],
                            "actor": "factory",
                        }
                    )
        await conn.execute(insert(StageTransition), history)
    return Board(posting_pk, stage_pks, application_pks)


__all__ = ["Board", "StageKind", "build_board"]
