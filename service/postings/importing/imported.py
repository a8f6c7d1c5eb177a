"""What reading a posting gives: the fields of a draft posting, its named sections in order, the
interview process as pipeline stages, and the warnings about what the text leaves unsaid or
unclear."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from service.pipeline.models import StageKind
from service.postings.importing.text import SourceFormat
from service.postings.models import SECTION_NAMES, EmploymentType, SalaryRangeSpec, Workplace

MAX_WARNINGS = 50
"""Warnings past this are counted, not kept: a long, messy text must not make a huge payload."""


class ImportWarningCode(enum.Enum):
    NOT_STATED = "NOT_STATED"
    AMBIGUOUS = "AMBIGUOUS"
    INFERRED = "INFERRED"
    SALARY_MISMATCH = "SALARY_MISMATCH"
    ENCODING_REPAIRED = "ENCODING_REPAIRED"
    GARBLED_TEXT = "GARBLED_TEXT"
    UNMAPPED_SECTION = "UNMAPPED_SECTION"


@dataclass(frozen=True, slots=True)
class ImportWarning:
    code: ImportWarningCode
    field: str | None
    """The posting field concerned, as the API names it (`salaryRanges.1.period`); None: the text."""
    message: str


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    body: str
    """Markdown; empty for a heading that only groups the ones after it."""
    column: str | None
    """Where the body went: a section column (`requirements`…) or `description`; None when empty."""


@dataclass(slots=True)
class ImportedPosting:
    format: SourceFormat
    title: str | None = None
    company_name: str | None = None
    employment_type: EmploymentType | None = None
    """None: not stated (the posting gets the default, FULL_TIME)."""
    workplace: Workplace | None = None
    locations: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    salary_ranges: list[SalaryRangeSpec] = field(default_factory=list)
    salary_conflict: bool = False
    """Two figures in the same currency and period disagree; all are kept."""
    sections: list[Section] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    """The text of each section column the posting fills (`about`, `requirements`…)."""
    description: str | None = None
    apply_url: str | None = None
    stages: list[tuple[str, StageKind]] | None = None
    """None: no interview process was read (the posting gets the default pipeline)."""
    encoding_repaired: bool = False
    warnings: list[ImportWarning] = field(default_factory=list)
    warnings_left_out: int = 0
    """Warnings past the first MAX_WARNINGS, counted but not kept."""

    def posting_fields(self) -> dict[str, Any]:
        """The `fields` argument of `postings.service.create_posting`."""
        fields: dict[str, Any] = {
            "title": self.title,
            "workplace": self.workplace,
            "locations": list(self.locations),
            "regions": list(self.regions),
            "salary_ranges": list(self.salary_ranges),
            "description": self.description,
            "apply_url": self.apply_url,
            **{name: self.columns.get(name) for name in SECTION_NAMES},
        }
        if self.employment_type is not None:
            fields["employment_type"] = self.employment_type
        return fields

    def warn(self, code: ImportWarningCode, field: str | None, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(ImportWarning(code, field, message))
        else:
            self.warnings_left_out += 1
