"""Exposes the domain enums to GraphQL, once, before any type annotation refers to them."""

from __future__ import annotations

import strawberry

from service.applications.models import ApplicationStatus
from service.pipeline.models import StageKind
from service.postings.models import EmploymentType, PostingStatus, SalaryPeriod, Workplace

strawberry.enum(PostingStatus, description="Where a posting is in its life: DRAFT → OPEN ⇄ CLOSED → ARCHIVED.")
strawberry.enum(EmploymentType, description="The kind of employment a posting offers.")
strawberry.enum(Workplace, description="Where the work happens.")
strawberry.enum(SalaryPeriod, description="The period a salary figure is paid per.")
strawberry.enum(StageKind, description="What happens at a stage; reports group stages by kind.")
strawberry.enum(ApplicationStatus, description="Whether an application is still in play, and how it ended if not.")
