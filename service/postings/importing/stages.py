"""Reading the interview process of a posting as pipeline stages.

Each list item (or, without a list, each sentence) of the interview section that names a step
(`phone screen`, `take-home`, `interview`, `offer`…) becomes a stage; a later sentence of the same
item becomes a stage of its own when it starts with a step (`… your project. Interview with our
CEO.`). Remarks in parentheses and negated steps (`no whiteboard coding`) are not stages. The
pipeline is the stages read between `Applied` and `Hired`; a posting without an interview
process gets the default pipeline, and a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.pipeline.models import MAX_STAGES, StageKind
from service.pipeline.service import DEFAULT_PIPELINE
from service.postings.importing.imported import ImportedPosting, ImportWarningCode
from service.postings.importing.layout import Part, quote
from service.postings.importing.text import ITEM, NON_WORD_START, items, paragraphs, plain, sentences

KINDS: tuple[tuple[re.Pattern[str], StageKind], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), kind)
    for pattern, kind in (
        (r"\b(?:apply|submit (?:your|an?) (?:application|cv|resume|résumé))\b", StageKind.APPLIED),
        (
            r"\b(?:phone|intro(?:ductory|duction)?|initial|first|recruiter|hr)\s+(?:screen\w*|call|chat|conversation)\b"
            r"|\bscreen(?:ing)?\b|\b(?:cv|resume|résumé|application)\s+review\b"
            r"|\b(?:call|chat) with (?:a|an|our|the) (?:recruiter|talent|people)"
            # German, French, Spanish, Portuguese, Italian, Dutch, Swedish: a first call.
            r"|\btelefon\w*|\bkennenlern\w*|\berstgespräch\b|\bappel\b|\béchange téléphonique\b"
            r"|\bpremier échange\b|\bpré-?qualification\b|\b(?:video)?llamada\b|\bligação\b|\bchamada\b|\btriagem\b"
            r"|\b(?:video)?chiamata\b|\btelefonata\b|\bkennismaking\w*|\bvideosamtal\b"
            r"|\b(?:entretien|entrevista|colloquio) (?:téléphonique|telefónica|telefonica|telefônica|telefonico)\b",
            StageKind.SCREEN,
        ),
        (
            r"\btake[- ]home\b|\b(?:coding|technical|programming|home|written)\s+(?:project|challenge|exercise|test"
            r"|task|assignment|assessment)\b|\b(?:written|short|technical|a few)\s+(?:\w+\s+)?questions\b"
            r"|\bquestionnaire\b|\bassessment\b|\bassignment\b|\bcase study\b|\bwork sample\b|\btrial\b"
            r"|\b(?:short|small|mini|business|written|practical|sales)\s+case\b"
            r"|\bportfolio (?:review|presentation|walk-?through)\b"
            r"|\bexercise\b|\bproject\b|\bchallenge\b|\btest\b|\bpresentation\b|\bshadow\w*"
            # A task, a test or a trial day in the other languages.
            r"|\b\w*aufgabe\b|\bfallstudie\b|\bprobe(?:arbeit|tag)\w*|\bhospitation\w*|\bexercice\b|\bétude de cas\b"
            r"|\bcas pratique\b|\bmise en situation\b|\bprueba\b|\bcaso (?:práctico|pratico|studio)\b|\bejercicio\b"
            r"|\breto\b|\bteste\b|\bdesafio\b|\bestudo de caso\b|\bprova\b|\besercizio\b|\bopdracht\b|\bcasus\b"
            r"|\bproefdag\b|\bmeeloopdag\b|\barbetsprov\b|\bprovdag\b",
            StageKind.ASSESSMENT,
        ),
        (
            r"\b\w*interview\w*|\bon-?site\b|\bpanel\b|\bpair(?:ing| programming)\b|\bsystem design\b"
            r"|\bfinal round\b|\bmeet (?:the|our|with)\b|\b(?:call|chat|conversation) with\b|\bloop\b"
            r"|\bdiscussion\b|\bconversation\b|\bdeep[- ]dive\b"
            # `a technical call`, `hiring manager call`; not `we will call you`
            r"|(?<!\bwill )(?<!\bto )(?<!'ll )(?<!’ll )(?<!\bwe )(?<!\bmay )(?<!\bcan )\bcall\b"
            r"(?!\s+(?:you|us|back|them)\b)"
            r"|\b(?:founder|exec(?:utive)?|team|culture|values|final|informal|coffee)\s+chat\b|\bmeet\s*(?:&|and)\s*greet\b"
            r"|\btour\b|\b(?:speak|talk)\s+(?:with|to)\b|\bsit down with\b"
            # A conversation or an interview in the other languages.
            r"|\b\w*gespräch\w*|\bentretien\w*|\brencontre\w*|\bentrevista\w*|\bcharla\b|\breunión\b"
            r"|\bconversación\b|\bconversa\b|\bbate-papo\b|\bcolloqui\w*|\bincontro\b|\b\w*gesprek\w*"
            r"|\bintervju\w*|\bsamtal\b|\bträffa\b",
            StageKind.INTERVIEW,
        ),
        (
            r"\boffer\b|\breference(?:s| checks?)\b|\bbackground check\b"
            r"|\b(?:vertrags)?angebot\b|\bzusage\b|\boffre\b|\bproposition\b|\boferta\b|\bpropuesta\b|\bproposta\b|\bofferta\b"
            r"|\baanbod\b|\berbjudande\b|\breferenz\w*|\bréférences\b|\breferencias\b|\breferências\b"
            r"|\breferenze\b|\breferenties\b|\breferenser\b",
            StageKind.OFFER,
        ),
        (r"\bhired\b|\bwelcome aboard\b|\bonboarding\b", StageKind.HIRED),
    )
)
"""The step each keyword names, in English and in German, French, Spanish, Portuguese, Italian,
Dutch and Swedish."""
NEGATION = re.compile(
    r"\b(?:no|not|never|don[’']t|do not|won[’']t|without|kein\w*|nicht|ohne|pas de|sans|sin|sem|senza|nessun\w*|geen"
    r"|zonder|ingen|inte|utan)\b",
    re.IGNORECASE,
)
PRONOUN_START = re.compile(r"^(?:we|you|it|this|they|he|she|there|that|these|our team)\b", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Þ¿¡(\"“])")
STEP_PREFIX = re.compile(r"^(?:(?:step|stage|round|phase)\s*\d+\s*[:.)–—-]?\s*|\d{1,2}\s*[.)]\s+)", re.IGNORECASE)
BOLD_LEAD = re.compile(r"^(?:\*\*|__)(?P<name>[^*_]{2,80})(?:\*\*|__)")
LABEL_LEAD = re.compile(r"^(?P<name>[^:–—(]{2,60}?)\s*(?::|\s[–—-]\s|\()")
CUT = re.compile(r"\s(?:to|so|where|which|that|for|in which|during|about)\s|[,;:(]|\s[–—-]\s")
LEADING = re.compile(
    r"^(?:(?:a\s+few|a\s+couple\s+of|a|an|the|our|some|one|two|three|several)\s+)?"
    r"(?:(?:simple|quick|brief|casual|informal|friendly|small)\s+)?",
    re.IGNORECASE,
)
PEOPLE = re.compile(
    r"\b(?P<role>CEO|CTO|COO|CFO|CPO|CMO|VP|founder|co-founder|manager|lead|head of \w+)"
    r"\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\b"
)
MEMBERS = re.compile(
    r"\b(?:some\s+|a\s+few\s+|several\s+|two\s+|three\s+|four\s+|\d+\s+)?members\s+of\s+(?:the|our)\s+", re.IGNORECASE
)
MAX_NAME = 80
DEFAULT_NAMES = {
    StageKind.APPLIED: "Applied",
    StageKind.SCREEN: "Screen",
    StageKind.ASSESSMENT: "Assessment",
    StageKind.INTERVIEW: "Interview",
    StageKind.OFFER: "Offer",
    StageKind.HIRED: "Hired",
}


@dataclass(frozen=True, slots=True)
class StageReading:
    stages: list[tuple[str, StageKind]]
    """The steps the text names, in order, without the Applied/Hired brackets."""
    unread: list[str]
    """Items of the process that name no step a stage could be made of."""


def kind_of(text: str, *, leading: bool = False) -> StageKind | None:
    """The kind of step `text` names: the earliest keyword wins, the longer one on a tie.
    `leading`: only a keyword in the first four words counts."""
    best: tuple[int, int, StageKind] | None = None
    for pattern, kind in KINDS:
        m = pattern.search(text)
        if m is None:
            continue
        if leading and len(text[: m.start()].split()) > 3:
            continue
        if NEGATION.search(text[: m.start()]):
            continue
        candidate = (m.start(), -len(m.group(0)), kind)
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    return best[2] if best else None


DURATION_LEAD = re.compile(r"^\d+(?:[-–]\d+)?[- ]?(?:min(?:ute)?s?|hours?|hrs?|h)\b\s*", re.IGNORECASE)
"""`30-minute call`: the step is the call."""
DURATION_WITHIN = re.compile(
    r"\s+(?:(?:of|de|di|von|van|av|da)\s+)?(?:(?:ca|approx|about|around)\.?\s+)?\d+(?:[-–]\d+)?[- ]?"
    r"(?:min(?:ute|uto|uti|uten|uter)?s?|hours?|hrs?|horas?|heures?|stunden?|ore|uur|timmar)\b",
    re.IGNORECASE,
)
"""`Llamada de 30 minutos con …`, `paid 2-hour trial shift`: how long a step takes is no part of its name."""
ORDINAL_LEAD = re.compile(
    r"^(?:(?:first|second|third|next|then|finally|lastly|afterwards|after that),\s*"
    r"|(?:then|next|finally|lastly|afterwards)\s+)",
    re.IGNORECASE,
)
"""`First, a call with …`, `Then a panel interview`: the order a step comes in is no part of its name."""
FOLLOWED_BY = re.compile(r"^(?:followed by|and then|then|finally|lastly|after that)\s+", re.IGNORECASE)


def stage_name(text: str, kind: StageKind) -> str:
    """A short name for the step `text` describes: its bold lead or label, else its first clause
    without articles, fillers, leading marks and durations, and people's first names."""
    text = ORDINAL_LEAD.sub("", STEP_PREFIX.sub("", NON_WORD_START.sub("", text.strip())))
    bold = BOLD_LEAD.match(text)
    if bold:
        name = bold.group("name")
    else:
        plain = re.sub(r"\*\*|__|`", "", text)
        label = LABEL_LEAD.match(plain)
        if label and len(label.group("name").split()) <= 6 and kind_of(label.group("name")) is not None:
            name = label.group("name")
        else:
            name = CUT.split(plain, maxsplit=1)[0]
    name = PEOPLE.sub(lambda m: m.group("role"), name)
    name = MEMBERS.sub("the ", name)
    name = re.sub(r"\bour\b", "the", name)
    name = DURATION_WITHIN.sub("", LEADING.sub("", FOLLOWED_BY.sub("", name.strip())))
    name = DURATION_LEAD.sub("", LEADING.sub("", name.strip())).strip(" .:;,–—-")
    if len(name) > MAX_NAME:
        name = name[:MAX_NAME].rsplit(" ", 1)[0]
    if not name:
        return DEFAULT_NAMES[kind]
    return name[0].upper() + name[1:]


def _is_remark(text: str) -> bool:
    stripped = text.strip().rstrip(".")
    return stripped.startswith("(") and stripped.endswith(")")


ARROWS = re.compile(r"\s*(?:→|⟶|➔|➜|->|=>|»|>)\s*")
"""Steps written inline as a sequence (`Intro call → take-home → team interview`)."""
CLAUSES = re.compile(
    r"\s*(?:,\s*(?:and\s+)?(?:then\s+|finally\s+|lastly\s+)?|;\s*|\s+then\s+|\s+and\s+(?:then|finally)\s+"
    r"|\s+and\s+(?=(?:a|an|the)\s))",
    re.I,
)
"""Where a sentence listing several steps divides (`a video call, a technical interview, then an on-site visit`)."""
NOT_A_STEP = re.compile(
    r"\b(?:is|are|was|were|will|would|can|could|should|may|might|takes?|lasts?|usually|typically|aim|hope|try"
    r"|expect|each|every|whole|total|within|overall)\b",
    re.IGNORECASE,
)
STEP_WORDS = 8
"""A list item of the process this short, and no sentence, is a step even without a known step word."""


INLINE_NUMBER = re.compile(r"(?:^|(?<=\s))\(?(?P<n>\d)[.)]\s+")
"""`1) Phone screen 2) Onsite 3) Offer`: numbered steps written on one line."""


def _numbered(item: str) -> list[str]:
    """An item numbering its steps inline (1, 2, 3… in order), as its steps; else the item."""
    marks = list(INLINE_NUMBER.finditer(item))
    if len(marks) < 2 or [int(m.group("n")) for m in marks] != list(range(1, len(marks) + 1)):
        return [item]
    ends = [m.start() for m in marks[1:]] + [len(item)]
    return [item[m.end() : end].strip(" ,;") for m, end in zip(marks, ends, strict=True) if item[m.end() : end].strip()]


def _split_inline(item: str) -> list[str]:
    """An item written as an inline sequence of steps (arrows, or inline numbers), as its steps;
    else the item."""
    parts = [p for p in ARROWS.split(item.strip()) if p.strip()]
    if len(parts) > 1:
        return parts
    return _numbered(item.strip())


def _clauses(sentence: str) -> list[str]:
    """A sentence naming several steps, as one clause per step (what precedes a colon that names
    no step, `The process is short:`, left aside); else the sentence."""
    head, colon, tail = sentence.partition(":")
    body = tail if colon and kind_of(head) is None and tail.strip() else sentence
    clauses = [c for c in CLAUSES.split(body) if c and c.strip()]
    stepped = [c for c in clauses if kind_of(c) is not None]
    return stepped if len(stepped) > 1 else [sentence]


def _step_like(item: str) -> bool:
    """A list item of the process that reads as a step's name (`Technical deep dive`, `Demo
    lesson (45 min): …`) rather than a remark (`Each step takes 45 minutes`): its bold lead or
    label, else its first sentence, is short."""
    text = STEP_PREFIX.sub("", NON_WORD_START.sub("", item.strip()))  # `💻 Short case: …`
    lead = BOLD_LEAD.match(text) or LABEL_LEAD.match(re.sub(r"\*\*|__|`", "", text))
    text = (lead.group("name") if lead else SENTENCE_END.split(plain(text))[0]).strip(" .")
    return (
        0 < len(text.split()) <= STEP_WORDS
        and not PRONOUN_START.match(text)
        and not NOT_A_STEP.search(text)
        and not _is_remark(text)
        and text[:1].isalpha()
    )


def _labelled_kind(item: str) -> StageKind | None:
    """The kind of step a list item's bold lead or label (`**Onsite**`, `Technical deep dive (90
    min): …`) names; None when it has none or it names no step."""
    text = STEP_PREFIX.sub("", NON_WORD_START.sub("", item.strip()))
    lead = BOLD_LEAD.match(text) or LABEL_LEAD.match(re.sub(r"\*\*|__|`", "", text))
    if lead is None or len(lead.group("name").split()) > STEP_WORDS - 2:
        return None
    return kind_of(lead.group("name"))


def read_stages(items: list[str], *, listed: bool = False) -> StageReading:
    """Stages from the items of an interview process (list items, or sentences of prose).
    `listed`: the items are a list's, so a short one naming no known step is a step all the same,
    as is each step of an inline sequence (`Kennenlernen → Probetag → Angebot`) anywhere."""
    stages: list[tuple[str, StageKind]] = []
    unread: list[str] = []
    for item, inline in (
        (part, len(parts) > 1) for given in items for parts in [_split_inline(given)] for part in parts
    ):
        if not item.strip() or _is_remark(item):
            continue
        labelled = _labelled_kind(item) if listed else None
        if labelled is not None:
            # `Virtual onsite: system design, coding, and a values interview` is one step, named by its label.
            stages.append((stage_name(item, labelled), labelled))
            continue
        found = []
        for i, sentence in enumerate(SENTENCE_END.split(item.strip())):
            if i > 0 and (PRONOUN_START.match(sentence) or _is_remark(sentence)):
                continue
            for clause in _clauses(sentence):
                kind = kind_of(clause, leading=i > 0)
                if kind is not None:
                    found.append((stage_name(clause, kind), kind))
        if found:
            stages.extend(found)
        elif (listed or inline) and _step_like(item):
            stages.append((stage_name(item, StageKind.INTERVIEW), StageKind.INTERVIEW))
        else:
            unread.append(item.strip())
    return StageReading(stages, unread)


def bracketed(stages: list[tuple[str, StageKind]]) -> list[tuple[str, StageKind]]:
    """The pipeline: `Applied` first and `Hired` last around the stages read, unless the text
    already names those steps."""
    out = list(stages)
    if not out or out[0][1] is not StageKind.APPLIED:
        out.insert(0, ("Applied", StageKind.APPLIED))
    if out[-1][1] is not StageKind.HIRED:
        out.append(("Hired", StageKind.HIRED))
    return out


def read_interview_process(out: ImportedPosting, parts: list[Part]) -> None:
    """Set `out.stages` to the pipeline the interview process describes; without one, warn that the
    default pipeline is used."""
    process = [p for p in parts if p.column == "interview_process"]
    default = ", ".join(name for name, _ in DEFAULT_PIPELINE)
    if not process:
        out.warn(
            ImportWarningCode.NOT_STATED,
            "stages",
            f"the posting does not describe its interview process; the default pipeline ({default}) is used",
        )
        return
    stages: list[tuple[str, StageKind]] = []
    for part in process:
        listed = items(part.body)
        reading = read_stages(
            listed or [s for block in paragraphs(part.body) for s in sentences(plain(block))], listed=bool(listed)
        )
        stages += reading.stages
        for item in reading.unread if listed else []:
            out.warn(
                ImportWarningCode.AMBIGUOUS,
                "stages",
                f"{quote(plain(item))} in the interview process names no step; it is not a stage",
            )
    # Applying is the pipeline's first step: "Apply at …" further down the process is no stage.
    stages = [st for k, st in enumerate(stages) if k == 0 or st[1] is not StageKind.APPLIED]
    if not stages:
        out.warn(
            ImportWarningCode.AMBIGUOUS,
            "stages",
            f"no steps could be read from the interview process; the default pipeline ({default}) is used",
        )
        return
    pipeline = bracketed(stages)
    if len(pipeline) > MAX_STAGES:
        out.warn(
            ImportWarningCode.AMBIGUOUS,
            "stages",
            f"the interview process has more steps than a pipeline may hold ({MAX_STAGES}); the last were left out",
        )
        pipeline = [*pipeline[: MAX_STAGES - 1], pipeline[-1]]
    out.stages = pipeline


PROCESS_WORD = re.compile(
    r"\b(?:process|steps?|stages?|rounds?|prozess|verfahren|ablauf|processus|étapes|proceso|etapas|processo"
    r"|procedure|procedur|processen)\b",
    re.IGNORECASE,
)
"""A sentence that speaks of the process as such (`Our process has three steps: …`)."""


def describes_process(block: str) -> bool:
    """A paragraph outside any interview-process section that lays the process out all the same:
    steps in a row (`Phone screen → interview → offer`), or a sentence on the process that names
    two steps or more (`The process is a phone screen, then a panel interview.`)."""
    if ITEM.match(block):
        return False
    text = plain(block)
    steps = [p for p in ARROWS.split(text) if p.strip()]
    if len(steps) > 1 and sum(kind_of(p) is not None for p in steps) >= 2:
        return True
    return any(
        PROCESS_WORD.search(sentence) and sum(kind_of(c) is not None for c in _clauses(sentence)) >= 2
        for sentence in SENTENCE_END.split(text)
    )
