"""A stage as webhook payloads carry it (`previousStage`, `stage`)."""

from __future__ import annotations

from typing import Any

from service.db import fields
from service.ids import to_global_id
from service.pipeline.models import PipelineStage


def stage_ref(stage: PipelineStage | None) -> dict[str, Any] | None:
    if stage is None:
        return None
    ids = {"id": to_global_id("PipelineStage", stage.id, stage.company_id)}
    return fields.payload(PipelineStage, stage, ids, leave_out=("created_at", "updated_at"))
