"""The employment type of a posting: from its header or `Key: value` facts (in English, German,
French, Spanish, Portuguese, Italian, Dutch or Swedish: `Beschäftigungsart: Vollzeit`, `Regime:
CLT, meio período`), else from its title (`Developer (Contract)`), else from a phrase of its text
(`a full-time role`, `eine Stelle in Teilzeit`); a title that only names a job (`Contract
Manager`) is a weak reading and said so, and so is a permanent contract that gives no hours
(`CDI`: stored as full-time)."""

from __future__ import annotations

import re

from service.postings.importing.facts import EMPLOYMENT, Fact, employment_of, with_line_facts
from service.postings.importing.imported import ImportedPosting, ImportWarningCode
from service.postings.importing.layout import Part, quote
from service.postings.importing.text import plain
from service.postings.models import EmploymentType

TITLE_ASIDE = re.compile(r"[(\[|,–—]|\s-\s")
"""What sets an employment type apart from the job's name in a title."""
EMPLOYMENT_PHRASE = re.compile(
    r"\b(full[- ]?time|part[- ]?time|contract|freelance|temporary|seasonal|fixed[- ]term)\s+(?:role|position|job"
    r"|employment|contract|opportunity|engagement|basis)\b|\b(?:role|position|job) is (?:an?\s+)?"
    r"(full[- ]?time|part[- ]?time|contract|temporary|freelance|internship)\b|\b(?:this|the|a paid) (internship)\b",
    re.IGNORECASE,
)
FOREIGN_PHRASE = re.compile(
    r"\b(vollzeit|teilzeit|temps plein|temps partiel|jornada completa|media jornada|tiempo completo|tiempo parcial"
    r"|tempo integral|meio[- ]per[ií]odo|tempo pieno|tempo parziale|voltijd|deeltijd|heltid|deltid|praktikum"
    r"|werkstudent(?:in)?|befristet|freelance|contrat à durée déterminée)\b",
    re.IGNORECASE,
)
"""Employment terms of other languages that say nothing else in prose (`eine Stelle in Vollzeit`,
`un poste à temps plein`), unlike English `contract` or `intern`."""
PERMANENT = re.compile(
    r"\b(?:permanent|unbefristet|festanstellung|cdi|indefinido|clt|efetivo|tillsvidare\w*)\b", re.IGNORECASE
)
"""A permanent contract: no type of its own, but a permanent job is full-time unless it says otherwise."""


def read_employment(out: ImportedPosting, facts: list[Fact], parts: list[Part]) -> None:
    """Set `out.employment_type` when the posting states exactly one; warn when it states none or several."""
    bodies = [(p.heading, p.body) for p in parts if p.column != "interview_process"]
    if not any(f.kind == "employment" for f in facts):
        facts = with_line_facts(facts, bodies, ("employment", "employment_text"))
    stated = list(dict.fromkeys(f.value for f in facts if f.kind == "employment"))
    source = "the header"
    aside = False
    if not stated and out.title:
        found = list(EMPLOYMENT.finditer(out.title))
        stated = list(dict.fromkeys(employment_of(m.group(1)) for m in found))
        source = "the title"
        # "Developer (Contract)", "Designer – Part-time" state it; "Contract Manager" names a job.
        aside = bool(found) and all(TITLE_ASIDE.search(out.title[: m.start()]) for m in found)
    if not stated:
        text = " ".join(plain(p.body) for p in parts if p.column != "interview_process")
        phrases = EMPLOYMENT_PHRASE.finditer(text)
        stated = list(dict.fromkeys(employment_of(next(g for g in m.groups() if g)) for m in phrases))
        if not stated:
            stated = list(dict.fromkeys(_foreign_term(m.group(1)) for m in FOREIGN_PHRASE.finditer(text)))
        source = "the text"
    unread = [f.value for f in facts if f.kind == "employment_text"]
    if len(stated) == 1:
        out.employment_type = stated[0]
        if source == "the title" and not aside:
            # "Contract Manager" names a job, not a contract: a title is a weak signal.
            out.warn(
                ImportWarningCode.INFERRED,
                "employmentType",
                f"the employment type {stated[0].value} was read from the title only: check it",
            )
        return
    if len(stated) > 1:
        names = ", ".join(t.value for t in stated)
        out.warn(
            ImportWarningCode.AMBIGUOUS,
            "employmentType",
            f"{source} states several employment types ({names}); the posting is stored as FULL_TIME, "
            "the default: check it",
        )
    elif unread and PERMANENT.search(unread[0]):
        out.employment_type = EmploymentType.FULL_TIME
        out.warn(
            ImportWarningCode.INFERRED,
            "employmentType",
            f"the employment type is given as {quote(unread[0])}, a permanent contract that says no hours; it is "
            "stored as FULL_TIME: check it",
        )
    elif unread:
        out.warn(
            ImportWarningCode.AMBIGUOUS,
            "employmentType",
            f"the employment type is given as {quote(unread[0])}, which is none of full-time, part-time, contract, "
            "internship or temporary; the posting is stored as FULL_TIME, the default: check it",
        )
    else:
        out.warn(
            ImportWarningCode.NOT_STATED,
            "employmentType",
            "the posting does not state the employment type; it is stored as FULL_TIME, the default: check it",
        )


def _foreign_term(word: str) -> EmploymentType:
    """The type a FOREIGN_PHRASE term states (`contrat à durée déterminée` is a fixed-term contract)."""
    return EmploymentType.CONTRACT if word.lower().startswith("contrat") else employment_of(word)
