"""Where the work is done: the workplace (remote, hybrid or on-site) from the posting's facts
(`Hybrid remote in Leeds`, `100% remoto`, `Télétravail : 2 jours par semaine`) or from a sentence
of its text that no negation undoes (`two days a week in our office, the rest from home`; not
`not a remote role`), in English and the other languages job boards write; then its locations and
regions, a remote role's from its prose when its facts name none (`based in the United Kingdom`).
A place or workplace stated in words that cannot be read is warned about as such, not as silence."""

from __future__ import annotations

import re

from service.postings.importing.facts import Fact, is_known_place, sort_places, with_line_facts
from service.postings.importing.imported import ImportedPosting, ImportWarningCode
from service.postings.importing.layout import Part, quote
from service.postings.importing.text import plain
from service.postings.models import Workplace

NEGATION = re.compile(
    r"\b(?:not|no|never|cannot|can't|don't|doesn't|isn't|aren't|won't|without|kein\w*|nicht|pas|sin|sem|non|geen"
    r"|ingen|inte)\b[^.!?;]*$",
    re.IGNORECASE,
)
"""A negation earlier in the same sentence (looked for just before a workplace phrase)."""
_JOB = r"(?:role|position|job|post|internship|opportunity|vacancy|contract|team)"
"""What a sentence about the workplace says is remote, hybrid or on-site."""
_IS = rf"\b(?:(?:this|the|our|a) {_JOB}|it) (?:is|are)(?: an?)?(?: fully| entirely| 100%)?"
"""`This role is`, `The post is`: a statement about the job itself (what the company is says less)."""
_DAYS = r"(?:\d|one|two|three|four|a few|some)(?:\s*(?:-|to|or)\s*(?:\d|two|three|four))? days?"
WORKPLACE_PHRASES: tuple[tuple[Workplace, re.Pattern[str]], ...] = tuple(
    (workplace, re.compile(pattern, re.IGNORECASE))
    for workplace, pattern in (
        (
            Workplace.HYBRID,
            rf"\bhybrid (?:role|position|job|post|work\w*|model|setup|set-up|schedule|arrangement|team|pattern)\b"
            rf"|{_IS} hybrid\b|\b{_DAYS} (?:a|per|each|every) week (?:in|at|from) (?:the|our|one of our)(?: \w+)? "
            r"(?:office|studio|campus|hub|lab)|\b(?:on campus|in (?:the|our) office|in[- ]office)\b[^.!?;]{0,60}"
            r"\b(?:rest|remainder|other days)\b[^.!?;]{0,40}\b(?:from home|remote(?:ly)?)\b"
            rf"|\b{_DAYS} (?:a week )?(?:in|at) (?:the|our)(?: \w+)? (?:office|studio|campus|hub)\b[^.!?;]{{0,60}}"
            r"\b(?:from home|remote(?:ly)?)\b"
            r"|\bsplit (?:your time )?between (?:home|remote work) and (?:the|our) office\b"
            r"|\bhybrides? arbeiten\b|\b\d tage? (?:pro woche )?(?:im büro|homeoffice|mobil)\b|\bmobiles arbeiten\b"
            r"|\b(?:trabajo|modelo|modalidad|formato|régimen|regime|modelo de trabalho) h[ií]brid[oa]\b"
            r"|\bt[ée]l[ée]travail partiel\b|\b\d jours? de t[ée]l[ée]travail\b|\bmode hybride\b"
            r"|\blavoro ibrido\b|\bhybride werk\w*\b|\bhybrid(?:t)? arbete\b",
        ),
        (
            Workplace.REMOTE,
            r"\b(?:fully|100%|completely|entirely) remote\b|\bremote[- ](?:first|only)\b|\bwork (?:from|at) home\b"
            rf"|\bwork from anywhere\b|{_IS} remote\b|\bremote (?:role|position|job|post|contract)\b"
            r"|\bremote (?:with)?in (?:the )?(?:EU|US|UK|USA|Europe|European Union|United States|United Kingdom"
            r"|Canada)\b|\b100 ?% (?:remot[oe]|teletrabajo|t[ée]l[ée]travail|home ?office)\b"
            r"|\b(?:trabajo|trabalho|posici[oó]n) remot[oa]\b"
            r"|\bt[ée]l[ée]travail (?:complet|total|int[ée]gral)\b|\bfull remote\b|\bvollständig remote\b"
            r"|\bda remoto\b|\bp[aå] distans\b",
        ),
        (
            Workplace.ONSITE,
            r"\bon[- ]?site (?:role|position|job|post)\b|\b(?:role|position|job|post|internship) is (?:fully )?"
            r"(?:on[- ]?site|in[- ]office|in[- ]person|office[- ]based)\b|\bin[- ]office (?:role|position|job)\b"
            rf"|\boffice[- ]based\b|{_IS} (?:on[- ]?site|in[- ]person)\b"
            r"|\byou(?:'ll| will) (?:work|be) (?:fully )?on[- ]?site\b"
            r"|\b(?:plant|site|store|warehouse|lab|campus|clinic|hospital|school)[- ]based (?:role|position|job)\b"
            r"|\b(?:100 ?% |trabajo |modalidad |formato |regime |modelo )presencial\b|\ben pr[ée]sentiel\b"
            r"|\bsur site\b|\bin presenza\b|\bvor ort (?:in|bei|an) (?:unserem|unserer)\b",
        ),
    )
)
"""Sentences that say where the work is done, in English and the languages the importer reads.
Hybrid comes first: `two days a week in our office, the rest from home` also says `from home`."""


WEAK_REMOTE = re.compile(r"work (?:from|at) home", re.IGNORECASE)
"""A remote phrase that hybrid work says too (`the rest of the week you work from home`)."""
_PLACE = r"(?P<place>[A-Z][\w.]*(?:\s+[A-Z][\w.]*){0,2})"
RESIDENCE = re.compile(
    r"\b(?:anywhere|remote(?:ly)?|based|live|living|reside|resident|located|work from anywhere)\s+(?:with)?in\s+"
    rf"(?:the\s+)?{_PLACE}"
)
"""Where a remote hire must live, as prose says it (`based in the UK`, `remote within the EU`)."""
ZONES = re.compile(rf"\b{_PLACE}\s+(?:time\s*zones?|hours)\b")
"""`US time zones`, `European hours`: the region a remote hire works the hours of."""
ANYWHERE = re.compile(
    r"\b(?:work from anywhere|from anywhere in the world|anywhere in the world|worldwide|globally remote"
    r"|desde cualquier lugar|de n'importe où|von überall)\b",
    re.IGNORECASE,
)
"""A remote role open wherever the hire lives: no region to name."""


def read_workplace(out: ImportedPosting, facts: list[Fact], parts: list[Part]) -> None:
    """Set `out.workplace` when the posting states one unambiguously, then its locations and regions."""
    bodies = [(p.heading, p.body) for p in parts if p.column != "interview_process"]
    facts = with_line_facts(facts, bodies, ("workplace", "places"))
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
    if Workplace.HYBRID in said and Workplace.REMOTE in said and WEAK_REMOTE.fullmatch(said[Workplace.REMOTE]):
        del said[Workplace.REMOTE]  # "two days in the office, the rest you work from home" is hybrid work
    if len(stated) == 1:
        out.workplace = stated[0]
        others = {w: s for w, s in said.items() if w is not out.workplace}
        if out.workplace is Workplace.HYBRID:
            others = {w: s for w, s in others.items() if not WEAK_REMOTE.fullmatch(s)}
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
    elif unread := [f.value for f in facts if f.kind == "workplace_text"]:
        out.warn(
            ImportWarningCode.AMBIGUOUS,
            "workplace",
            f"the workplace is given as {quote(unread[0])}, which is none of remote, hybrid or on-site; no workplace "
            "was set",
        )
    else:
        out.warn(ImportWarningCode.NOT_STATED, "workplace", "the posting does not say whether the work is remote")
    groups = [f.value for f in facts if f.kind == "places"]
    out.locations, out.regions = sort_places(groups, remote=out.workplace is Workplace.REMOTE)
    if out.workplace is Workplace.REMOTE and not out.regions:
        out.regions = prose_regions(text)
    _warn_places(out, text, [f.line for f in facts if f.kind == "places"])


def prose_regions(text: str) -> list[str]:
    """The countries and blocs a remote hire may live in, as prose says them (`remote within the
    EU`, `you must be based in the United Kingdom`, `anywhere in Europe`, `US time zones`)."""
    found = [m.group("place") for m in RESIDENCE.finditer(text)] + [m.group("place") for m in ZONES.finditer(text)]
    places = [p.rstrip(".") for p in found]
    return list(dict.fromkeys(p for p in places if is_known_place(p)))


def _warn_places(out: ImportedPosting, text: str, lines: list[str]) -> None:
    """Warn when no place was read, unless the posting says the work can be done from anywhere:
    that is a statement, not a silence. A location line none of whose parts is a place's name
    (`Location: our main office`) is said to be one, not passed over as silence."""
    anywhere = out.workplace is Workplace.REMOTE and ANYWHERE.search(text)
    if anywhere or (out.regions and out.workplace is Workplace.REMOTE):
        return
    if not out.locations and not out.regions and lines:
        out.warn(
            ImportWarningCode.AMBIGUOUS,
            "locations",
            f"the location is given as {quote(lines[0])}, in which no city, country or region was recognised; "
            "none was set",
        )
    elif not out.locations and not out.regions:
        out.warn(ImportWarningCode.NOT_STATED, "locations", "the posting names no location or region")
    elif out.workplace is Workplace.REMOTE:
        out.warn(ImportWarningCode.NOT_STATED, "regions", "the posting names no region a remote hire may live in")
