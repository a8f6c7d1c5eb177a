"""Where the work is done: the workplace (remote, hybrid or on-site) from the posting's facts or
from a phrase of its text that no negation undoes (`not a remote role`), then its locations and
regions."""

from __future__ import annotations

import re

from service.postings.importing.facts import Fact, sort_places
from service.postings.importing.imported import ImportedPosting, ImportWarningCode
from service.postings.importing.layout import Part, quote
from service.postings.importing.text import plain
from service.postings.models import Workplace

NEGATION = re.compile(
    r"\b(?:not|no|never|cannot|can't|don't|doesn't|isn't|aren't|won't|without)\b[^.!?;]*$", re.IGNORECASE
)
"""A negation earlier in the same sentence (looked for just before a workplace phrase)."""
WORKPLACE_PHRASES: tuple[tuple[Workplace, re.Pattern[str]], ...] = tuple(
    (workplace, re.compile(pattern, re.IGNORECASE))
    for workplace, pattern in (
        (
            Workplace.REMOTE,
            r"\b(?:fully|100%|completely|entirely) remote\b|\bremote[- ](?:first|only)\b|\bwork (?:from|at) home\b"
            r"|\bwork from anywhere\b|\b(?:role|position|job) is (?:fully )?remote\b|\bremote (?:role|position|job)\b",
        ),
        (
            Workplace.HYBRID,
            r"\bhybrid (?:role|position|job|work\w*|model|setup|set-up|schedule|arrangement)\b"
            r"|\b(?:role|position|job) is hybrid\b",
        ),
        (
            Workplace.ONSITE,
            r"\bon[- ]?site (?:role|position|job)\b|\b(?:role|position|job) is (?:fully )?(?:on[- ]?site|in[- ]office"
            r"|office[- ]based)\b|\bin[- ]office (?:role|position|job)\b|\boffice[- ]based\b",
        ),
    )
)


def read_workplace(out: ImportedPosting, facts: list[Fact], parts: list[Part]) -> None:
    """Set `out.workplace` when the posting states one unambiguously, then its locations and regions."""
    stated = list(dict.fromkeys(f.value for f in facts if f.kind == "workplace"))
    text = " ".join(plain(p.body) for p in parts if p.column != "interview_process")
    said: dict[Workplace, str] = {}
    denied: list[str] = []
    for workplace, pattern in WORKPLACE_PHRASES:
        for m in pattern.finditer(text):
            if NEGATION.search(text[max(0, m.start() - 40) : m.start()]):
                denied.append(m.group(0))  # "not a remote role", "we don't offer work from home"
            else:
                said.setdefault(workplace, m.group(0))
    if len(stated) == 1:
        out.workplace = stated[0]
        others = {w: s for w, s in said.items() if w is not out.workplace}
        if others:
            phrase = next(iter(others.values()))
            out.warn(
                ImportWarningCode.AMBIGUOUS,
                "workplace",
                f"the header says {out.workplace.value} but the text says {quote(phrase)}; {out.workplace.value} "
                "was kept",
            )
    elif len(stated) > 1:
        out.warn(
            ImportWarningCode.AMBIGUOUS,
            "workplace",
            f"the posting states several workplaces ({', '.join(w.value for w in stated)}); none was set",
        )
    elif len(said) == 1:
        out.workplace = next(iter(said))
    elif said:
        phrases = " and ".join(quote(s) for s in said.values())
        out.warn(ImportWarningCode.AMBIGUOUS, "workplace", f"the text says {phrases}; no workplace was set")
    elif denied:
        out.warn(
            ImportWarningCode.AMBIGUOUS,
            "workplace",
            f"the text says what the work is not ({quote(denied[0])}) but not what it is; no workplace was set",
        )
    else:
        out.warn(ImportWarningCode.NOT_STATED, "workplace", "the posting does not say whether the work is remote")
    groups = [f.value for f in facts if f.kind == "places"]
    out.locations, out.regions = sort_places(groups, remote=out.workplace is Workplace.REMOTE)
    if not out.locations and not out.regions:
        out.warn(ImportWarningCode.NOT_STATED, "locations", "the posting names no location or region")
    elif out.workplace is Workplace.REMOTE and not out.regions:
        out.warn(ImportWarningCode.NOT_STATED, "regions", "the posting names no region a remote hire may live in")
