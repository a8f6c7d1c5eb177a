"""Who an inbound delivery is about, kept as one-way keys, so that erasing a person finds every
stored copy of what an ATS sent about them, and a delivery received before the erasure cannot
bring their data back when it is applied (or retried) after it.

A subject key is the SHA-256 of the company, and a candidate's or an application's provider id,
or an email address, so the keys themselves disclose nothing without a guess to check them
against (see docs/privacy.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from service.integrations.changes import (
    Application,
    Candidate,
    CandidateDeleted,
    CandidatesMerged,
    Interview,
    InterviewSchedule,
    Offer,
    Translation,
)

EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
"""Addresses anywhere in a body: events the mappings do not read can still name a person."""


def key(company_id: int, kind: str, value: str) -> str:
    """`kind` is `email` (value lowercased), or `candidate:<provider>` / `application:<provider>`."""
    if kind == "email":
        value = value.strip().lower()
    return hashlib.sha256(f"{company_id}\x1f{kind}\x1f{value}".encode()).hexdigest()


def of_translation(company_id: int, provider: str, translation: Translation) -> set[str]:
    keys: set[str] = set()

    def candidate(c: Candidate | None) -> None:
        if c is None:
            return
        keys.add(key(company_id, f"candidate:{provider}", c.external_id))
        keys.update(key(company_id, "email", address) for address in c.emails or ())

    for change in translation.changes:
        if isinstance(change, Candidate):
            candidate(change)
        elif isinstance(change, Application):
            keys.add(key(company_id, f"application:{provider}", change.external_id))
            candidate(change.candidate)
        elif isinstance(change, CandidateDeleted):
            keys.add(key(company_id, f"candidate:{provider}", change.external_id))
        elif isinstance(change, CandidatesMerged):
            candidate(change.into)
            keys.update(key(company_id, f"candidate:{provider}", merged) for merged in change.merged)
        elif isinstance(change, Interview | InterviewSchedule):
            interviews = change.interviews if isinstance(change, InterviewSchedule) else [change]
            keys.update(key(company_id, f"application:{provider}", i.application_external_id) for i in interviews)
        elif isinstance(change, Offer):
            keys.add(key(company_id, f"application:{provider}", change.application_external_id))
    return keys


def of_body(company_id: int, text: str) -> set[str]:
    return {key(company_id, "email", address) for address in EMAIL.findall(text)}


def of_delivery(
    company_id: int, provider: str, mapping: Any, document: Any, headers: Mapping[str, str], text: str
) -> list[str]:
    """The subject keys of a delivery: the records its translation names, and every address in
    its body. A body the mapping cannot translate is still searched for addresses."""
    keys = of_body(company_id, text)
    # Unsupported or unreadable: the worker records why when it applies it; addresses still count.
    with contextlib.suppress(Exception):
        keys |= of_translation(company_id, provider, mapping.translate(document, headers))
    return sorted(keys)


def of_person(company_id: int, emails: Iterable[str], refs: Iterable[tuple[str, str, str]]) -> list[str]:
    """The keys of an applicant: their addresses, and `(entity type, provider, external id)` of
    the references to them and to their applications."""
    keys = {key(company_id, "email", address) for address in emails}
    for entity_type, provider, external_id in refs:
        kind = "candidate" if entity_type == "applicant" else entity_type
        keys.add(key(company_id, f"{kind}:{provider}", external_id))
    return sorted(keys)
