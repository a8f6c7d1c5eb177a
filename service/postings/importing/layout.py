"""Where things sit in a posting's text: the title, the line under it, the header's facts, the
lead (text before any heading) and the headed sections, and which section column each heading
names (`What you'll do` → `responsibilities`), from keyword tables rather than from any one
posting."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from service.postings.importing.facts import Fact, read_chips, read_facts
from service.postings.importing.text import (
    ATX,
    ITEM,
    KEY_VALUE,
    LINK,
    NON_WORD_START,
    Line,
    heading_text,
    matching_key,
    plain,
)

MAX_NESTING = 50
"""How far back a section looks for the heading it sits under."""

COLUMN_ORDER = ("interview_process", "nice_to_have", "benefits", "requirements", "responsibilities", "about")
"""The order headings are tried in: the narrower names first (`Nice to have` before `Requirements`,
`What we offer` before `About`)."""

ENGLISH = {
    "interview_process": r"interview|hiring process|candidate (?:journey|experience)|recruit\w* process"
    r"|selection process|application process"
    r"|our process|^(?:the )?process$|how we hire|next steps|what to expect|what happens next|what's next"
    r"|after you apply|(?:hiring|recruitment|interview|application) (?:journey|steps|stages)|how we (?:recruit|select)",
    "nice_to_have": r"nice[- ]to[- ]have|bonus|preferred|pluses|\bplus\b(?!\s+du\s+poste)|would be (?:great|nice)"
    r"|love about you|stand out|extra credit|ideally|good to have|desirable|\bdesired\b|extra points",
    "benefits": r"benefit|perk|what we (?:can )?offer|we (?:can )?offer|on offer|love about us|compensation|salary"
    r"|why (?:join|work|us)|what you(?:'ll| will)? get|in it for you|package|rewards|you(?:'ll| will) love"
    r"|^pay\b|\bpay (?:range|and)\b|^why\b(?! this| the role| you)",
    "requirements": r"requirement|qualification|must[- ]have|looking for|look for|who you are|about you|you have"
    r"|you(?:'ll| will)? bring|you(?:'ll| will)? need|skills|experience|fit for|a fit|\byou are\b|profile"
    r"|what we need|\bessential\b(?!\s+(?:job\s+)?(?:duties|functions|responsibilit))|\brequired\b"
    r"|person specification|ideal candidate|candidate profile|licens|certification|education|thrive|\bfit\b"
    r"|your background",
    "responsibilities": r"responsibilit|duties|what you(?:'ll| will) (?:do|be doing|work on|own)|you might work on"
    r"|you(?:'ll| will) work on|your role|day[- ]to[- ]day|in this role|your mission|tasks"
    r"|^you(?:'ll| will)$|^what you(?:'ll| will) be$|responsible for|\bfunctions\b|your impact"
    r"|success looks like|first \d+ days|first (?:\w+ )?months|impact you(?:'ll| will) have",
    "about": r"about|who we are|overview|introduction|our mission|the company|the role|the team|the job"
    r"|job description|like to work|life at|our story|company|^description$|the opportunity|the project"
    r"|the position|internship$|summary|purpose|culture|our values|your team|who you(?:'ll| will) (?:be )?work",
}
GERMAN = {
    "interview_process": r"bewerbungs(?:prozess|verfahren|ablauf)|auswahl(?:prozess|verfahren)|einstellungsprozess"
    r"|so geht(?: es|'s) weiter|wie geht(?: es|'s) weiter|nächsten? schritte|(?:dein|ihr|der) weg zu uns"
    r"|\bablauf\b|interviewprozess|recruitingprozess",
    "nice_to_have": r"von vorteil|wünschenswert|pluspunkte|idealerweise|wäre schön|gerne gesehen",
    "benefits": r"\bbieten\b|\bangebot\b|vorteile|vergütung|\bgehalt\b|leistungen|warum (?:wir|uns)",
    "requirements": r"\bprofil\b|über (?:dich|sie)$|anforderung|mitbring|bringst du mit|bringen sie mit|qualifikation"
    r"|voraussetzung|kenntnisse|erfahrung|wen wir suchen|wer (?:du bist|sie sind)"
    r"|was wir (?:von (?:dir|ihnen) )?erwarten",
    "responsibilities": r"aufgabe|tätigkeit|verantwortung|(?:deine|ihre) rolle"
    r"|was (?:du|sie) (?:bei uns )?(?:tun|machen)|das machst du|dein job|ihr job",
    "about": r"über uns|^über\b|wer wir sind|unternehmen|wir über uns|unsere mission|(?:das|unser|dein|ihr) team"
    r"|die stelle|die position|stellenbeschreibung",
}
FRENCH = {
    "interview_process": r"processus|process de recrutement|étapes? (?:du|de) (?:recrutement|processus)"
    r"|déroulement|prochaines étapes|entretiens?\b|recrutement",
    "nice_to_have": r"(?:serait|est) un (?:plus|atout)|\bun plus\b|\batouts?\b|apprécié|idéalement"
    r"|^les (?:petits )?\+$",
    "benefits": r"avantages|les (?:plus|\+) du poste|^conditions$|conditions (?:de travail|du poste|d'emploi)"
    r"|(?:nous )?(?:vous )?(?:offrons|proposons)|pourquoi (?:nous rejoindre|travailler|venir)"
    r"|rémunération|salaire|ce que vous (?:trouverez|aurez)",
    "requirements": r"\bprofil\b|à propos de vous|candidate? idéal|compétences|(?:nous )?recherchons"
    r"|ce que nous attendons"
    r"|pré-?requis|exigences|expérience|vous êtes|qui êtes-vous|savoir-(?:être|faire)",
    "responsibilities": r"\bvos (?:futures )?missions\b|\bvotre mission\b|^missions?\b|missions principales"
    r"|responsabilités|votre rôle|tâches|ce que vous (?:ferez|allez faire)|au quotidien|votre quotidien",
    "about": r"à propos|qui sommes-nous|qui nous sommes|l'entreprise|la société|notre (?:entreprise|société|mission"
    r"|histoire)|présentation|le poste|le rôle|l'équipe|description (?:du poste|de l'entreprise)"
    r"|descriptif du poste|contexte",
}
SPANISH = {
    "interview_process": r"\bproceso\b|etapas del proceso|próximos pasos|entrevistas",
    "nice_to_have": r"valorable|valoramos|se valorará|valoraremos|deseable|(?:sería|será|es) un plus|puntos extra"
    r"|suma puntos",
    "benefits": r"beneficios|ofrecemos|ventajas|salario|remuneración|retribución|compensación|condiciones"
    r"|por qué (?:unirte|trabajar)",
    "requirements": r"requisitos|sobre (?:ti|vos|usted)$|buscamos|\bperfil\b|experiencia|conocimientos"
    r"|habilidades|competencias"
    r"|(?:qué|lo que) necesitas|imprescindible",
    "responsibilities": r"responsabilidades|funciones|harás|tus tareas|\btareas\b|tu (?:rol|misión|día a día)"
    r"|día a día|vas a hacer|en qué consiste",
    "about": r"quiénes somos|sobre nosotros|acerca de|^sobre\b|(?:la|nuestra) (?:empresa|compañía|misión)"
    r"|el puesto|la posición|el rol|el equipo|descripción|conócenos|\bnosotros\b",
}
PORTUGUESE = {
    "interview_process": r"processo seletivo|processo de (?:seleção|recrutamento|contratação)|etapas"
    r"|próximos passos|entrevistas|como (?:será|é) o processo",
    "nice_to_have": r"diferencia(?:l|is)|desejáve(?:l|is)|será um plus|\bbônus\b",
    "benefits": r"benefícios|oferecemos|vantagens|remuneração|salário|pacote|por que trabalhar"
    r"|o que você (?:vai )?(?:ganha|receberá|recebe)",
    "requirements": r"requisitos|sobre você$|qualificações|buscamos|procuramos|esperamos|\bperfil\b"
    r"|experiência|competências"
    r"|conhecimentos|habilidades|o que você (?:precisa|traz)",
    "responsibilities": r"responsabilidades|atividades|atribuições|o que você (?:vai fazer|fará)|funções"
    r"|dia a dia|desafios|sua missão",
    "about": r"^sobre\b|quem somos|(?:a|nossa) (?:empresa|missão)|a vaga|o cargo|a posição|a equipe|o time|descrição",
}
ITALIAN = {
    "interview_process": r"processo di selezione|iter di selezione|colloqui|prossimi passi|fasi della selezione"
    r"|^(?:il )?processo$|^selezione$",
    "nice_to_have": r"gradit[oaie]|costituisce un plus|(?:è|sarà) un plus|preferibile|preferenziale",
    "benefits": r"offriamo|vantaggi|retribuzione|stipendio|perché (?:lavorare|unirti)|welfare",
    "requirements": r"requisiti|su di te$|cerchiamo|\bprofilo\b|competenze|esperienza|conoscenze|qualifiche|chi sei"
    r"|chi stiamo cercando",
    "responsibilities": r"responsabilità|mansioni|cosa farai|attività|compiti|il tuo ruolo|ti occuperai",
    "about": r"chi siamo|(?:l'|la nostra )azienda|su di noi|il ruolo|la posizione|il team|la nostra missione"
    r"|descrizione|l'opportunità",
}
DUTCH = {
    "interview_process": r"sollicitatie(?:procedure|proces)|selectie(?:procedure|proces)|procedure|het proces"
    r"|volgende stappen|hoe verloopt|zo verloopt",
    "nice_to_have": r"\bpré\b|een plus|pluspunt|wenselijk|strekt tot aanbeveling",
    "benefits": r"(?:wij|we) bieden|bieden (?:wij|we)|ons aanbod|arbeidsvoorwaarden|voordelen|salaris|beloning"
    r"|wat krijg je",
    "requirements": r"(?:vragen|verwachten) (?:wij|we)|(?:wij|we) (?:vragen|verwachten)|functie-?eisen|\beisen\b"
    r"|profiel|over jou|wie (?:ben jij|ben je|zoeken wij|zoeken we|we zoeken)|breng je mee|vaardigheden|ervaring"
    r"|kwalificaties",
    "responsibilities": r"\btaken\b|verantwoordelijkheden|ga je doen|ga jij doen|je gaat doen|werkzaamheden"
    r"|jouw rol",
    "about": r"over ons|wie (?:zijn wij|wij zijn|we zijn)|(?:het|ons) bedrijf|de functie|de rol|het team"
    r"|onze missie|over de|functieomschrijving|omschrijving|organisatie",
}
SWEDISH = {
    "interview_process": r"rekrytering|urvalsprocess|ansökningsprocess|intervjuer|processen|nästa steg"
    r"|så går det till",
    "nice_to_have": r"meriterande|meriter|önskvärt|(?:är )?ett plus",
    "benefits": r"erbjuder|förmåner|erbjudande|\blön\b|varför (?:jobba|arbeta)",
    "requirements": r"\bkrav\b|om dig|kvalifikationer|vem är du|vem du är|\bprofil\b|vi söker|vad vi söker"
    r"|erfarenhet|kompetens|du har",
    "responsibilities": r"arbetsuppgifter|ansvarsområden|vad du kommer att göra|uppgifter|din roll|ditt uppdrag"
    r"|i rollen",
    "about": r"om oss|vilka vi är|om företaget|företaget|om tjänsten|om rollen|tjänsten|rollen|teamet"
    r"|vårt uppdrag",
}
LANGUAGES = (ENGLISH, GERMAN, FRENCH, SPANISH, PORTUGUESE, ITALIAN, DUTCH, SWEDISH)
"""Section headings by language: each table names every column in the words job boards and
companies of that language use, so a posting in any of them maps the same way."""
COLUMNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (column, re.compile("|".join(f"(?:{language[column]})" for language in LANGUAGES))) for column in COLUMN_ORDER
)
KNOWN_HEADING = re.compile(
    "|".join(f"(?:{p.pattern})" for _, p in COLUMNS)
    + r"|\bapply\b|\bapplication\b|\bcontact\b|\blocation\b|\bequal opportunit|\bdiversity\b|\bfaq\b"
    # Applying, contact and place headings of the other languages.
    r"|\bbewerb|kontakt|\bstandort\b|postuler|candidat|postula|inscríbete|contacto|contato|contatti|solliciteer"
    r"|\bansök"
)
"""Headings a plain-text line may be even when text follows it directly."""
JOB_WORD = re.compile(
    r"\b(?:engineer|developer|programmer|manager|designer|analyst|scientist|lead|director|specialist|intern"
    r"|architect|consultant|administrator|writer|editor|coordinator|officer|head|vp|recruiter|representative"
    r"|associate|assistant|advocate|technician|accountant|researcher|strategist|marketer|executive|sre|devops"
    r"|owner|principal|agent|operator|tester|counsel|lawyer|nurse|teacher|support|partner|expert|scrum master"
    r"|generalist|producer|librarian|chef|driver|clerk)s?\b"
    # The same in German (compounds too: `Softwareentwickler`, `Pflegefachkraft`; from a word's
    # start, `\b`, so a long word costs its length, not its length squared), French, Spanish,
    # Portuguese, Italian, Dutch and Swedish.
    r"|\b\w*(?:entwickler|ingenieur|berater|leiter|referent|sachbearbeiter|fachkraft|pfleger|erzieher|lehrer"
    r"|techniker|verkäufer|mitarbeiter|praktikant|werkstudent)(?:in|innen)?\b"
    r"|\b(?:développeu(?:r|se)|ingénieure?|chargée? de|responsable|technicienne?|conseill(?:er|ère)|stagiaire"
    r"|chef de projet|comptable|infirmi(?:er|ère)|enseignante?|vendeu(?:r|se)|desarrollador(?:a)?|ingenier[oa]"
    r"|analista|jef[ea]|técnic[oa]|asesor(?:a)?|becari[oa]|profesor(?:a)?|enfermer[oa]|contable|programador(?:a)?"
    r"|desenvolvedor(?:a)?|engenheir[oa]|gerente|professora?|enfermeir[oa]|estagiári[oa]|vendedor(?:a)?"
    r"|consultor(?:a)?|sviluppat(?:ore|rice)|ingegnere|responsabile|tecnico|impiegat[oa]|stagista"
    r"|ontwikkelaar|medewerker|adviseur|verpleegkundige|docent|utvecklare|ingenjör|säljare|sjuksköterska"
    r"|lärare|handläggare)s?\b",
    re.IGNORECASE,
)
EEO = re.compile(
    r"equal (?:employment )?opportunit|equal employment|you are welcome here|regardless of (?:race|gender|age|religion)"
    r"|we do not discriminate|without regard to|inclusive (?:employer|workplace)",
    re.IGNORECASE,
)


def column_of(heading: str) -> str | None:
    """The section column a heading names, from the keyword tables; None when it names none."""
    key = matching_key(heading)
    return next((column for column, pattern in COLUMNS if pattern.search(key)), None)


def quote(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1].rstrip() + '…'}”"


@dataclass(slots=True)
class Part:
    """A section of the text as read: the lead (no heading) or a headed section."""

    heading: str | None
    level: int
    lines: list[str]
    body: str = ""
    column: str | None = None

    @property
    def where(self) -> str:
        """Where the text is, as a warning names it: the description, a section by its column, or
        an unnamed section by its heading."""
        if self.column is not None and self.column != "description":
            return f"{self.column.replace('_', ' ')} section"
        return "description" if self.heading is None else f"“{self.heading}” section"


@dataclass(slots=True)
class Layout:
    title: str | None = None
    title_url: str | None = None
    subtitle: str | None = None
    header: list[Fact] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)


def _title_shaped(raw: str) -> bool:
    text = plain(raw)
    return 0 < len(text) <= 120 and text[-1] not in ".!?," and not ITEM.match(raw) and not KEY_VALUE.match(text)


def _subtitle_shaped(lines: list[Line], j: int, title_at: int | None) -> bool:
    text = heading_text(lines[j].raw)
    if not text or len(text.split()) > 6 or text[-1] in ".!?,;" or lines[j].kind == "item":
        return False
    if KEY_VALUE.match(text) or column_of(text) is not None or JOB_WORD.search(text):
        return False
    following = next((k for k in range(j + 1, len(lines)) if lines[k].kind not in ("blank", "rule")), None)
    next_is_header = following is not None and (
        lines[following].kind == "heading" or read_facts(lines[following].raw) is not None
    )
    return (title_at is not None and j == title_at + 1) or next_is_header


def read_layout(lines: list[Line], markdown: bool) -> Layout:
    """Title, the line under it, the header's facts, then the lead and the headed sections."""
    layout = Layout(parts=[Part(None, 0, [])])
    content = [i for i, line in enumerate(lines) if line.kind not in ("blank", "rule")]
    if not content:
        return layout
    first_h1 = next((i for i in content if lines[i].kind == "heading" and lines[i].level == 1), None)
    title_at: int | None = first_h1 if markdown and first_h1 is not None else content[0]
    assert title_at is not None
    line = lines[title_at]
    names_section = column_of(line.raw) is not None and not JOB_WORD.search(line.raw)
    if not names_section and (line.kind == "heading" or (line.kind == "text" and _title_shaped(line.raw))):
        atx = ATX.match(line.raw)
        source = atx.group(2) if atx and markdown else line.raw
        link = LINK.search(source)
        layout.title_url = link.group("url") if link else None
        layout.title = heading_text(source) or None
    else:
        title_at = None
    start = title_at + 1 if title_at is not None else 0
    layout.parts[0].lines += [line.raw for line in lines[:title_at]] if title_at else []
    j = start
    first = True
    while j < len(lines):
        line = lines[j]
        if line.kind in ("blank", "rule"):
            j += 1
            continue
        chips = read_chips(line.raw)
        unknown = [value for value, facts in chips or [] if not facts]
        if chips is not None and not unknown:
            layout.header += [fact for _, facts in chips for fact in facts]
        elif chips is not None and len(unknown) == 1 < len(chips) and layout.subtitle is None:
            # `Acme GmbH · Hamburg (Hybrid)`: the part that is no fact names the company.
            layout.header += [fact for _, facts in chips for fact in facts]
            layout.subtitle = unknown[0]
        elif first and _subtitle_shaped(lines, j, title_at):
            layout.subtitle = heading_text(line.raw)
        else:
            break
        first = False
        j += 1
    for line in lines[j:]:
        if line.kind == "heading":
            layout.parts.append(Part(line.heading, line.level, []))
        elif line.kind != "rule":
            layout.parts[-1].lines.append(line.raw)
    return layout


def ancestors(parts: list[Part], k: int) -> Iterator[Part]:
    """The headings a section sits under: a heading with nothing of its own right before it,
    then every heading of a lower level."""
    current = parts[k]
    previous = parts[k - 1]
    if previous.heading is not None and not previous.body and previous.level <= current.level:
        yield previous
    level = current.level
    for part in reversed(parts[max(1, k - MAX_NESTING) : k]):
        if part.level < level:
            yield part
            level = part.level


def split_eeo(part: Part) -> list[str]:
    """Trailing equal-opportunity statements of the last section: they belong to the description."""
    lines = part.body.split("\n")
    moved: list[str] = []
    while lines:
        start = len(lines)
        while start > 0 and lines[start - 1].strip() and not ITEM.match(lines[start - 1]):
            start -= 1
        block = "\n".join(lines[start:])
        if start == len(lines) or not EEO.search(block):
            break
        moved.insert(0, block)
        lines = lines[:start]
        while lines and not lines[-1].strip():
            lines.pop()
    part.body = "\n".join(lines).strip()
    return moved


def joined(parts: list[Part]) -> str:
    """The bodies of the sections of one column, each under its heading when there are several
    (a paragraph of the lead has none)."""
    if len(parts) == 1:
        return parts[0].body
    return "\n\n".join(f"**{p.heading}**\n\n{p.body}" if p.heading else p.body for p in parts)


# --- sections the headings alone do not show ----------------------------------------------------

ROLE_HEADING = re.compile(
    r"^(?:about|über|à propos d[ue]|sobre|om|over|acerca d[eo]l?)?\s*"
    r"(?:the|this|your|die|diese|le|ce|el|este|la|o|a|il|de|het|deze)?\s*"
    r"(?:role|position|internship|opportunity|stelle|poste|rôle|puesto|rol|posición|vaga|cargo|posição|ruolo"
    r"|posizione|functie|tjänsten|rollen)$"
)
"""A heading that names the job itself (`The role`, `Your internship`, `Le poste`): what the hire
will do when no other section says so, else an introduction."""


def settle_role_sections(parts: list[Part]) -> None:
    """A section named for the role holds the duties when no section is named for them: postings
    without a `Responsibilities` heading list them under `The role`."""
    if any(p.column == "responsibilities" for p in parts):
        return
    for part in parts:
        if part.heading and part.column == "about" and ROLE_HEADING.match(matching_key(part.heading)):
            part.column = "responsibilities"


LABEL = re.compile(r"^(?:\*\*|__)?(?P<label>[^\W\d_][^:.!?\n*_]{0,40}?)\s*(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s+(?=\S)")
"""`Process: intro call → …`, `**Looking for:** …`: a sentence led by a label."""
MAX_LABEL_WORDS = 5
SENTENCE_START = re.compile(r"(?<=[.!?])(\s+)(?=(?:\*\*|__)?[A-ZÀ-Þ])")
"""Where a sentence ends and the next begins; the split keeps the space between them."""


def _label_column(sentence: str) -> tuple[str, str] | None:
    """(label, column) of a sentence led by a label that names a section column; None for any
    other sentence, and for a fact line (`Salary: £30,000`), which the fact readers take."""
    m = LABEL.match(sentence)
    if m is None or len(m.group("label").split()) > MAX_LABEL_WORDS:
        return None
    column = column_of(m.group("label"))
    if column is None or read_facts(plain(sentence)) is not None:
        return None
    return m.group("label").strip(), column


def _blocks(body: str) -> list[str]:
    return [block for block in body.split("\n\n") if block.strip()]


def _is_list(block: str) -> bool:
    return bool(ITEM.match(block))


@dataclass(slots=True)
class _Chunk:
    """Consecutive text of a body that stays together: under a label, or not."""

    label: str | None
    column: str | None
    blocks: list[str]


def _chunks(body: str, own: str | None) -> list[_Chunk]:
    """The body cut where a sentence led by a label names a column other than `own`: each such
    sentence takes the rest of its paragraph and a list right after it (`Our process: …`,
    `Benefits: …` in the middle of a paragraph)."""
    chunks = [_Chunk(None, None, [])]
    for block in _blocks(body):
        if _is_list(block):
            chunks[-1].blocks.append(block)
            continue
        if chunks[-1].label is not None and chunks[-1].blocks:
            chunks.append(_Chunk(None, None, []))  # a paragraph after a labelled one is the section's again
        pieces = SENTENCE_START.split(block)
        current = ""
        for sentence, gap in zip(pieces[::2], [*pieces[1::2], ""], strict=True):
            labelled = _label_column(sentence)
            if labelled is not None and labelled[1] != own:
                if current.strip():
                    chunks[-1].blocks.append(current.rstrip())
                chunks.append(_Chunk(labelled[0], labelled[1], []))
                current, sentence = "", LABEL.sub("", sentence, count=1)
            current += sentence + gap
        chunks[-1].blocks.append(current.rstrip())
    return [c for c in chunks if any(b.strip() for b in c.blocks)]


def split_labelled(part: Part) -> list[Part]:
    """`part` and, after it, a section for each labelled sentence in it that names another column
    (a posting without headings, or a process written as one line under `How to apply`)."""
    chunks = _chunks(part.body, part.column)
    if all(c.label is None for c in chunks):
        return [part]
    part.body = "\n\n".join(b for c in chunks if c.label is None for b in c.blocks)
    found = [Part(c.label, part.level, [], "\n\n".join(c.blocks), c.column) for c in chunks if c.label is not None]
    return [part, *found]


NAME = (
    r"(?:(?:The|Das|Die|Der|La|Le|El|A|O|Il|L'|De|Het)\s+)?[A-Z][\w&'’.-]*"
    r"(?:\s+(?:[A-Z0-9][\w&'’.-]*|&|and|of|de|du|der|von|y|e)){0,4}"
)
"""A company's name as a lead sentence starts with it (`Acme Coffee`, `Das Klinikum Am Stadtpark`)."""
COMPANY_VERB = (
    # English: a definition (`is a`, `is building`) or what the business does.
    r"(?:is|are|was)\s+(?:a|an|the|one|home|on a mission|\w+ing)\b|(?:has|have) been\b|was founded\b"
    r"|(?:builds|helps|makes|provides|creates|develops|offers|powers|enables|brings|runs|operates|serves|connects"
    r"|designs|sells|manufactures|produces|delivers|supports|employs|exists)\b"
    # German, French, Spanish, Portuguese, Italian, Dutch, Swedish.
    r"|(?:ist|sind) (?:ein|eine|einer|der|die|das|seit)\b|(?:entwickelt|betreibt|baut|hilft|versorgt|produziert)\b"
    r"|(?:est|sont) (?:un|une|le|la|l'|leader|née?)\b|(?:développe|conçoit|aide|accompagne|fabrique|opère)\b"
    r"|(?:es|son) (?:un|una|el|la|líder)\b|(?:desarrolla|ayuda|fabrica|gestiona)\b"
    r"|(?:é|são) (?:um|uma|o|a|líder)\b|(?:desenvolve|ajuda|atende|oferece)\b"
    r"|(?:è|sono) (?:un|una|il|la|l'|leader)\b|(?:sviluppa|aiuta|progetta|produce)\b"
    r"|(?:is|zijn) (?:een|de|het)\b|(?:ontwikkelt|helpt|bouwt|levert)\b"
    r"|(?:är) (?:ett|en)\b|(?:utvecklar|hjälper|bygger|driver)\b"
)
COMPANY_SENTENCE = re.compile(
    rf"^(?:At\s+{NAME},\s*we\b|(?P<name>{NAME})(?:,\s[^,]{{1,80}},)?\s+(?:{COMPANY_VERB}))"
    r"|^(?:We(?:'re|’re| are)\s+(?:a|an|the|one|building|on a mission)\b"
    r"|We\s+(?:build|make|help|develop|design|run|operate|provide|create|sell|serve|power|connect|manufacture"
    r"|produce|deliver|started|were founded)\b|Founded in\b|Since \d{4}\b"
    r"|Our (?:mission|company|story|vision|purpose) (?:is|has|began)\b"
    r"|Wir (?:sind (?:ein|eine|seit)|entwickeln|bauen|betreiben|helfen)\b|Seit \d{4}|Gegründet\b"
    r"|Nous (?:sommes (?:un|une)|développons|concevons|aidons|accompagnons)\b|(?:Fondée?|Créée?|Née?) en\b|Depuis \d{4}"
    r"|Somos (?:un|una|um|uma)\b|Desde \d{4}|Fundada em\b|En [A-Z][\w-]*(?: [A-Z][\w-]*)* \w+(?:amos|emos|imos)\b"
    r"|Siamo (?:un|una)\b|(?:Wij|We) zijn (?:een|de)\b|Vi är (?:ett|en)\b)"
)
"""A sentence that says what the company is or does (`Acme is a …`, `Acme helps …`, `We build …`,
`Wir sind ein …`): what an `About us` section holds."""
NOT_A_NAME = re.compile(
    r"^(?:This|That|It|There|These|Those|You|Your|He|She|They|Here|What|Who|How|Why|If|When|Our|Applications?"
    r"|Please|Note|Salary|Pay|Everyone|Anyone|All)\b|\b(?:role|position|job|internship|opportunity|candidate)s?\b",
    re.IGNORECASE,
)
ROLE_SENTENCE = re.compile(
    r"^(?:As (?:a|an|our|the) [^,.]{1,60},\s*)?(?:In this (?:role|position),?\s*)?you(?:'ll|’ll| will| would"
    r"| are going to)\b",
    re.IGNORECASE,
)
"""A lead paragraph that tells the candidate what they will do (`You would own our models …`)."""
GREETING = re.compile(r"^[^.!?]{0,40}!\s*(?:[^\w\s]+\s*)?")
"""`Hey coffee people! 👋` before the first sentence that says anything."""


def _describes_company(block: str) -> bool:
    """A paragraph that opens by saying what the company is or does; an equal-opportunity
    statement (`Acme is an equal opportunity employer`) is none."""
    text = GREETING.sub("", plain(block), count=1)
    m = COMPANY_SENTENCE.match(text)
    if m is None or EEO.search(text):
        return False
    name = m.groupdict().get("name")
    return name is None or NOT_A_NAME.search(name) is None


def lead_column(block: str, *, duties_stated: bool) -> str | None:
    """The column a paragraph of the lead (the text before the first heading) belongs to: `about`
    when it introduces the company, `responsibilities` when it tells the candidate what they will
    do and no section lists the duties; None (the description) otherwise."""
    if _is_list(block):
        return None
    if _describes_company(block):
        return "about"
    if not duties_stated and ROLE_SENTENCE.match(plain(block)):
        return "responsibilities"
    return None


def split_lead(lead: Part, *, duties_stated: bool) -> list[Part]:
    """The lead, keeping what belongs to no column, and after it a part for each run of its
    paragraphs that belong to one (their text is no longer the description's)."""
    kept: list[str] = []
    found: list[Part] = []
    for block in _blocks(lead.body):
        column = lead_column(block, duties_stated=duties_stated)
        if column is None:
            kept.append(block)
        elif found and found[-1].column == column:
            found[-1].body += "\n\n" + block
        else:
            found.append(Part(None, lead.level, [], block, column))
    if not found:
        return [lead]
    lead.body = "\n\n".join(kept)
    return [lead, *found]


OPTIONAL_LEAD = re.compile(
    r"^(?:bonus(?: points)?|plus|nice[- ]to[- ]have|preferred|desirable|optional|von vorteil|wünschenswert"
    r"|un plus|atout|valorable|deseable|diferencial|desejável|gradito|pluspunt|meriterande)\b\s*(?:[:–—-]|if\b|for\b)",
    re.IGNORECASE,
)
"""`Bonus: batch brew experience`, `Nice to have – Go`: an item marked optional by its first word."""
OPTIONAL_PAREN = re.compile(
    r"\((?:preferred|a plus|desirable|nice to have|optional|bonus|an? (?:advantage|asset|bonus)|advantageous"
    r"|not required|not essential|von vorteil|wünschenswert|optional|apprécié|un plus|un atout|valorable"
    r"|deseable|desejável|diferencial|gradit[oaie]|preferibile|pré|meriterande)\)[.!]?$",
    re.IGNORECASE,
)
"""`Spanish proficiency (preferred)`: a closing remark that is nothing but the mark."""
OPTIONAL_MARK = re.compile(
    # English
    r"\b(?:is|are|would be|will be)\s+(?:also\s+)?(?:an?\s+)?(?:(?:big|huge|definite|real|great|strong|nice|added"
    r"|major|distinct)\s+)?(?:plus|bonus|advantage|asset)\b"
    r"|\b(?:is|are|would be)\s+(?:desirable|preferred|advantageous|appreciated|welcome)\b|\bnice[- ]to[- ]have\b"
    r"|\bnot (?:required|essential|mandatory|a must)\b|\b(?:preferred|desirable|advantageous|a plus|an asset"
    r"|an advantage|a bonus)[.!]?$"
    # German, French, Spanish, Portuguese, Italian, Dutch, Swedish
    r"|\bvon vorteil\b|\bwünschenswert\b|\b(?:ist|sind|wäre|wären) (?:ein )?(?:plus|vorteil)\b|\bgerne? gesehen\b"
    r"|\b(?:est|sera|serait|sont|seraient) (?:un|des) (?:plus|atouts?|avantages?)\b|\bapprécié(?:e|s|es)?\b"
    r"|\bvalorable\b|\bse valorará\b|\bdeseable\b|\b(?:es|será|sería) un plus\b"
    r"|\bdesejáve(?:l|is)\b|\b(?:é|será|seria) um (?:diferencial|plus)\b|\bdiferencial\b"
    r"|\bgradit[oaie]\b|\b(?:costituisce|costituirà|è|sarà) (?:un plus|titolo preferenziale)\b|\bpreferibile\b"
    r"|\b(?:is|zijn) (?:een )?(?:pré|pluspunt|plus)\b|\been pré\b|\bstrekt tot aanbeveling\b|\bwenselijk\b"
    r"|\bmeriterande\b|\bär ett plus\b",
    re.IGNORECASE,
)
"""What makes a requirement optional (`… is a plus`, `… preferred`, `von Vorteil`, `valorable`)."""


def is_optional(unit: str) -> bool:
    """A requirement the text itself marks as optional as a whole: by its first word, its closing
    remark, or a mark in its own clause (`German is a plus`), not in an aside about part of it
    (`Python (Django a plus)`) nor after a semicolon (`SQL; dbt is a plus`)."""
    text = NON_WORD_START.sub("", plain(unit.split("\n")[0]))  # `➕ Bonus: …`
    if OPTIONAL_LEAD.match(text) or OPTIONAL_PAREN.search(text):
        return True
    m = OPTIONAL_MARK.search(text)
    if m is None:
        return False
    before = text[: m.start()]
    return before.count("(") == before.count(")") and ";" not in before


def _units(body: str) -> list[str]:
    """A body as its top-level list items (with their nested items and continuation lines), its
    paragraphs and the blank lines between them."""
    units: list[str] = []
    for line in body.split("\n"):
        m = ITEM.match(line)
        if not line.strip() or (m and not m.group("indent")) or not units or not units[-1].strip():
            units.append(line)
        elif ITEM.match(units[-1]) or not m:
            units[-1] += "\n" + line
        else:
            units.append(line)
    return units


def split_optional(part: Part) -> list[Part]:
    """A requirements section and, after it, the requirements it marks as optional as a part of
    their own for `nice_to_have` (`Forklift certification is an asset.`)."""
    units = _units(part.body)
    marked = [bool(u.strip()) and is_optional(u) for u in units]
    if not any(marked):
        return [part]
    optional = [u for u, m in zip(units, marked, strict=True) if m]
    kept = [u for u, m in zip(units, marked, strict=True) if not m]
    part.body = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    gap = "\n" if all(ITEM.match(u) for u in optional) else "\n\n"
    return [part, Part(None, part.level, [], gap.join(u.strip("\n") for u in optional), "nice_to_have")]
