"""Facts a posting states in its header or in `Key: value` lines: salary, employment type,
workplace, places and company (`Contract: Full-time`, `` `💰 65k-95k USD` `🌎 Remote,North America` ``,
`Hybrid – Berlin`), and the tables that tell regions from cities."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import pycountry

from service.postings.importing.salary import figures_in
from service.postings.importing.text import ATX, ITEM, NON_WORD_START, plain
from service.postings.models import EmploymentType, Workplace
from service.validation import ascii_folded

EMPLOYMENT_TERMS: tuple[tuple[EmploymentType | None, str], ...] = (
    (
        EmploymentType.FULL_TIME,
        r"full[- ]?time|vollzeit|temps (?:plein|complet)|plein temps|jornada (?:completa|integral)|tiempo completo"
        r"|tempo (?:integral|pieno)|per[ií]odo integral|voltijd|heltid",
    ),
    (
        EmploymentType.PART_TIME,
        r"part[- ]?time|teilzeit|temps partiel|mi-temps|(?:media|jornada) (?:jornada|parcial)|medio tiempo"
        r"|tiempo parcial|meio[- ]per[ií]odo|tempo parcial|deeltijd|deltid",
    ),
    (
        EmploymentType.INTERNSHIP,
        r"internship|intern|praktikum|praktikant(?:in)?|werkstudent(?:in)?|stagiaire|alternance|pr[aá]cticas"
        r"|becari[oa]|pasant[ií]a|est[aá]gio|estagi[aá]ri[oa]|tirocinio|stagiair",
    ),
    (
        EmploymentType.TEMPORARY,
        r"temporary|temp|seasonal|fixed[- ]term|befristet|saisonarbeit|cdd|int[ée]rim|saisonnier|contrato temporal"
        r"|tempor[aá]ri[oa]|tempo determinato|tijdelijk|visstid(?:sanst[aä]llning)?|vikariat",
    ),
    (
        EmploymentType.CONTRACT,
        r"contract(?:or)?|freelance(?:r)?|freiberuflich|freie mitarbeit|ind[ée]pendant|aut[oó]nomo|zzp",
    ),
    (
        None,
        r"permanent|unbefristet|festanstellung|cdi|contrato indefinido|indefinido|clt|efetivo|tempo indeterminato"
        r"|vast contract|tillsvidare(?:anst[aä]llning)?|fast anst[aä]llning",
    ),
)
"""Employment terms as job boards and companies write them, in English, German, French, Spanish,
Portuguese, Italian, Dutch and Swedish, with the type each states; None: a permanent contract,
which states no type of its own (`Vollzeit, unbefristet` is full-time)."""
EMPLOYMENT = re.compile(
    r"\b(" + "|".join(terms for kind, terms in EMPLOYMENT_TERMS if kind is not None) + r")\b", re.IGNORECASE
)
"""A term that states an employment type (read from titles, values and facts)."""
_EMPLOYMENT_TERM = "(?:" + "|".join(terms for _, terms in EMPLOYMENT_TERMS) + ")"
FACT_ONLY_EMPLOYMENT = re.compile(r"\b(stage|pj)\b", re.IGNORECASE)
"""Terms that state a type only as a fact's value: French `stage` (an internship) and Brazilian `PJ`
(a contractor) are other words in English prose and titles (`early stage`)."""
EMPLOYMENT_VALUE = re.compile(
    rf"^{_EMPLOYMENT_TERM}(?:\s*(?:,|/|&|\band\b|\bund\b|\bet\b|\by\b|\be\b)\s*{_EMPLOYMENT_TERM})*"
    r"(?:\s+(?:position|role|employment|contract|job|basis))?$",
    re.IGNORECASE,
)
"""A value that is employment terms only (`Part-time, Permanent`): a fact, wherever it stands."""
WORKPLACE_TERMS: tuple[tuple[Workplace, str], ...] = (
    (
        Workplace.HYBRID,
        r"hybrid(?:[- ]remote)?|hybride?|h[ií]brid[oa]|ibrido|mobiles arbeiten|homeoffice|t[ée]l[ée]travail partiel"
        r"|teletrabajo parcial",
    ),
    (
        Workplace.REMOTE,
        r"fully remote|100 ?% remote|remote(?:[- ]first|[- ]friendly)?|100 ?% remot[oe]|remot[oe]|full remote"
        r"|teletrabajo|t[ée]l[ée]travail(?: complet| total)?|100 ?% home ?office|trabalho remoto|telelavoro"
        r"|(?:p[aå] )?distans|op afstand",
    ),
    (
        Workplace.ONSITE,
        r"on[- ]?site|in[- ]office|office[- ]based|in[- ]person|vor ort|pr[äa]senz|sur site|sur place"
        r"|(?:en )?pr[ée]sentiel|presencial|in sede|in presenza|op locatie|op kantoor|p[aå] plats|p[aå] kontoret",
    ),
)
"""Workplace terms in English, German, French, Spanish, Portuguese, Italian, Dutch and Swedish, as
the value of a fact or a chip (`Hybrid remote`, `100% remoto`, `Homeoffice`, `presencial`); German
`Homeoffice` and `mobiles Arbeiten` are offered beside the office, so they are hybrid."""
WORKPLACE = re.compile(r"(?<!\w)(" + "|".join(terms for _, terms in WORKPLACE_TERMS) + r")(?!\w)", re.IGNORECASE)
ASIDE = re.compile(r"\s*\([^()]*\)")
"""A parenthesised aside (`Internship (4–6 months)`), left aside when a value's shape is judged."""
WORKPLACE_AT_EDGE = re.compile(rf"^\W*{WORKPLACE.pattern}|{WORKPLACE.pattern}\W*$", re.IGNORECASE)
KEYS = {
    **dict.fromkeys(
        (
            "type",
            "job type",
            "employment",
            "employment type",
            "contract",
            "contract type",
            "schedule",
            "position type",
            "hours",
            "commitment",
            "job types",
            "employment status",
            "work type",
            # German, French, Spanish, Portuguese, Italian, Dutch, Swedish (looked up without accents)
            "anstellungsart",
            "beschaftigungsart",
            "art der anstellung",
            "vertragsart",
            "anstellung",
            "arbeitszeit",
            "befristung",
            "type de contrat",
            "contrat",
            "type d'emploi",
            "type de poste",
            "temps de travail",
            "tipo de contrato",
            "tipo de empleo",
            "contrato",
            "jornada",
            "tipo de jornada",
            "regime",
            "regime de contratacao",
            "tipo de vaga",
            "carga horaria",
            "tipo di contratto",
            "contratto",
            "orario",
            "dienstverband",
            "type dienstverband",
            "contracttype",
            "soort contract",
            "anstallningsform",
            "omfattning",
            "anstallningstyp",
        ),
        "employment",
    ),
    **dict.fromkeys(
        (
            "workplace",
            "workplace type",
            "work model",
            "work arrangement",
            "work setup",
            "remote",
            "work style",
            "arbeitsmodell",
            "homeoffice",
            "mode de travail",
            "teletravail",
            "modalidad",
            "modalidad de trabajo",
            "modelo de trabajo",
            "modelo de trabalho",
            "modalidade",
            "modalita di lavoro",
            "werkplek",
            "distansarbete",
        ),
        "workplace",
    ),
    **dict.fromkeys(
        (
            "location",
            "locations",
            "based in",
            "office",
            "offices",
            "city",
            "where",
            "region",
            "regions",
            "country",
            "work location",
            "job location",
            "standort",
            "arbeitsort",
            "einsatzort",
            "dienstort",
            "ort",
            "lieu",
            "lieu de travail",
            "localisation",
            "ville",
            "ubicacion",
            "lugar de trabajo",
            "ciudad",
            "localidad",
            "local",
            "localizacao",
            "local de trabalho",
            "cidade",
            "sede",
            "luogo di lavoro",
            "citta",
            "locatie",
            "standplaats",
            "werklocatie",
            "placering",
            "arbetsort",
        ),
        "places",
    ),
    **dict.fromkeys(
        (
            "salary",
            "salary range",
            "base salary",
            "compensation",
            "pay",
            "pay range",
            "rate",
            "day rate",
            "hourly rate",
            "ote",
            "remuneration",
            "compensation range",
            "base pay",
            "base pay range",
            "target salary",
            "salary band",
            "gehalt",
            "vergutung",
            "salaire",
            "remuneration",
            "salario",
            "sueldo",
            "retribucion",
            "remuneracao",
            "retribuzione",
            "stipendio",
            "salaris",
            "lon",
        ),
        "salary",
    ),
    **dict.fromkeys(("company", "employer", "organisation", "organization", "hiring company", "client"), "company"),
}


def key_kind(key: str) -> str | None:
    """What a fact's key names (`employment`, `places`…), case, spacing and accents aside
    (`Beschäftigungsart`, `Ubicación`, `Localização`); None for a key that is no known one."""
    folded = " ".join(ascii_folded(key).replace("’", "'").split())
    return KEYS.get(folded)


MAX_FACT_LINE = 200
"""A fact line is short: longer ones are prose."""
PLACE_EMOJI = frozenset("🌎🌍🌏📍🗺🌐🏢")
MONEY_EMOJI = frozenset("💰💵💶💷💸")
MACRO_REGIONS = frozenset(
    {
        "north america",
        "south america",
        "latin america",
        "latam",
        "central america",
        "americas",
        "the americas",
        "europe",
        "eu",
        "european union",
        "emea",
        "apac",
        "asia",
        "asia pacific",
        "africa",
        "middle east",
        "oceania",
        "worldwide",
        "anywhere",
        "global",
        "nordics",
        "scandinavia",
        "dach",
        "benelux",
        "cee",
        "eastern europe",
        "western europe",
    }
)
COUNTRIES = frozenset(
    {
        "us",
        "usa",
        "u.s.",
        "united states",
        "canada",
        "mexico",
        "brazil",
        "argentina",
        "uk",
        "u.k.",
        "united kingdom",
        "great britain",
        "ireland",
        "germany",
        "france",
        "spain",
        "portugal",
        "italy",
        "netherlands",
        "belgium",
        "luxembourg",
        "switzerland",
        "austria",
        "poland",
        "czechia",
        "czech republic",
        "sweden",
        "norway",
        "denmark",
        "finland",
        "estonia",
        "romania",
        "greece",
        "india",
        "japan",
        "singapore",
        "australia",
        "new zealand",
        "south africa",
        "israel",
        "ukraine",
        "turkey",
    }
)
TIME_ZONE = re.compile(r"^(?:UTC|GMT|CET|CEST|EST|EDT|PST|PDT|ET|PT)(?:\s*[±+\-]\s*\d{1,2})?", re.IGNORECASE)
PLACE_NAME = re.compile(r"^[A-Z][\w.'’ -]{1,40}$")
PLACE_NOISE = re.compile(r"\b(?:only|based|preferred|required|time ?zones?)\b", re.IGNORECASE)
PLACE_SPLIT = re.compile(r"\s*(?:,|/|;|\||\(|\)|\bor\b|\band\b|–|—|\s-\s)\s*")


@dataclass(frozen=True, slots=True)
class Fact:
    kind: str
    """`salary`, `salary_text` (a salary line without figures), `employment`, `workplace`,
    `places` (a list of names), `company`."""
    value: Any
    line: str
    """The line it was read from, without Markdown."""


_FACT_ONLY_KINDS = {"stage": EmploymentType.INTERNSHIP, "pj": EmploymentType.CONTRACT}


def employment_of(word: str) -> EmploymentType:
    """The type an employment term (a match of EMPLOYMENT or FACT_ONLY_EMPLOYMENT) states."""
    key = word.lower()
    if key in _FACT_ONLY_KINDS:
        return _FACT_ONLY_KINDS[key]
    for kind, terms in EMPLOYMENT_TERMS:
        if kind is not None and re.fullmatch(terms, key, re.IGNORECASE):
            return kind
    return EmploymentType.CONTRACT  # "contract role", "freelance basis": the phrases' only other words


def workplace_of(word: str) -> Workplace:
    """The workplace a match of WORKPLACE states (`Hybrid remote` is hybrid: the first term that fits)."""
    for workplace, terms in WORKPLACE_TERMS:
        if re.fullmatch(terms, word, re.IGNORECASE):
            return workplace
    return Workplace.ONSITE


def place_tokens(text: str) -> list[str]:
    text = PLACE_NOISE.sub("", text)
    return [p.strip(" .-–—:") for p in PLACE_SPLIT.split(text) if p.strip(" .-–—:")]


def is_known_place(token: str) -> bool:
    key = token.lower()
    return key in MACRO_REGIONS or key in COUNTRIES or bool(TIME_ZONE.match(token))


SUBDIVISION_WORDS = re.compile(
    r"\b(?:county|province|state|region|prefecture|district|län|lans|of|the|canton|oblast|department|departement)\b"
)


def _subdivision_key(name: str) -> str:
    folded = ascii_folded(name)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", SUBDIVISION_WORDS.sub(" ", folded)).split())


@functools.cache
def _subdivisions() -> frozenset[str]:
    """The names of the world's states, provinces and counties (ISO 3166-2, from pycountry), as `_subdivision_key`s."""
    return frozenset(_subdivision_key(s.name) for s in pycountry.subdivisions)


def is_subdivision(token: str, city: str) -> bool:
    """`token`, after `city`, names the state, province or county it is in (`Texas`, `NY`,
    `County Dublin`), or repeats it (`Lisbon, Lisbon, Portugal`)."""
    if re.fullmatch(r"[A-Z]{2,3}", token):
        return True
    key = _subdivision_key(token)
    return bool(key) and (key in _subdivisions() or key == _subdivision_key(city.split(",")[0]))


def sort_places(groups: list[list[str]], remote: bool) -> tuple[list[str], list[str]]:
    """(locations, regions): continents, blocs and time zones are regions, and so are countries
    for a remote role; for other roles a country after a city joins it (`Munich, Germany`), and
    so does a state, province or county (`Austin, Texas`, `Bengaluru, Karnataka, India`)."""
    locations: list[str] = []
    regions: list[str] = []
    for tokens in groups:
        previous_city = False
        for token in tokens:
            key = token.lower()
            if key in MACRO_REGIONS or TIME_ZONE.match(token):
                regions.append(token)
                previous_city = False
            elif key in COUNTRIES:
                if remote:
                    regions.append(token)
                elif previous_city:
                    locations[-1] = f"{locations[-1]}, {token}"
                else:
                    locations.append(token)
                previous_city = False
            elif previous_city and not remote and is_subdivision(token, locations[-1]):
                locations[-1] = f"{locations[-1]}, {token}"
            elif PLACE_NAME.match(token) and len(token.split()) <= 4 and not WORKPLACE.search(token):
                locations.append(token)
                previous_city = True
    return list(dict.fromkeys(locations)), list(dict.fromkeys(regions))


def _chips(line: str) -> list[str]:
    text = line.strip()
    atx = ATX.match(text)
    if atx:
        text = atx.group(2)
    text = ITEM.sub("", text)
    spans = re.findall(r"`([^`]+)`", text)
    if spans and not re.sub(r"`[^`]+`", "", text).strip(" ,|·•"):
        return spans
    return [c for c in re.split(r"\s+[|·•]\s+|\t+", plain(text)) if c.strip()]


def _value_facts(value: str, hint: str | None, line: str) -> list[Fact]:
    value = value.strip().rstrip(" /|·").strip()  # Lever writes its categories `Full Time /`
    if hint == "company":
        return [Fact("company", value.strip(" ."), line)] if value.strip(" .") else []
    facts: list[Fact] = []
    if hint in (None, "salary"):
        facts += [Fact("salary", figure, line) for figure in figures_in(value)]
        if hint == "salary":
            return facts or [Fact("salary_text", value, line)]
        if facts:
            return facts
    if hint == "employment" or EMPLOYMENT_VALUE.match(value):
        found = [Fact("employment", employment_of(m.group(1)), line) for m in EMPLOYMENT.finditer(value)]
        if hint == "employment" and not found and not WORKPLACE.search(value):
            return [Fact("employment_text", value, line)]
        facts += found
    workplace = WORKPLACE.search(value) if hint in ("workplace", "places") else WORKPLACE_AT_EDGE.search(value)
    if workplace and hint != "employment":
        words = [m.group(1) for m in WORKPLACE.finditer(value)]
        facts += [Fact("workplace", workplace_of(w), line) for w in words]
        rest = place_tokens(WORKPLACE.sub(",", value))
        if rest:
            facts.append(Fact("places", rest, line))
        return facts
    tokens = place_tokens(value)
    if tokens and (hint == "places" or (any(is_known_place(t) for t in tokens) and not facts)):
        facts.append(Fact("places", tokens, line))
    return facts


def read_chips(line: str) -> list[tuple[str, list[Fact]]] | None:
    """Each part (chip) of a header or `Key: value` line with its facts (none for a part that is
    not a fact, like a company name); None when the line cannot be one: too long, or a key
    that is not a known one."""
    if len(line) > MAX_FACT_LINE:
        return None
    text = plain(line)
    chips = _chips(line)
    if not chips or len(text) > MAX_FACT_LINE:
        return None
    out: list[tuple[str, list[Fact]]] = []
    for chip in chips:
        lead = NON_WORD_START.match(chip)
        marks = set(lead.group(0)) if lead else set()
        hint = "places" if marks & PLACE_EMOJI else "salary" if marks & MONEY_EMOJI else None
        value = NON_WORD_START.sub("", chip).strip()
        keyed = re.match(r"^(?P<key>[^\W\d_][^\W\d_ /&'’-]{0,30}?)\s*:\s*(?P<value>.+)$", value)
        if keyed:
            hint = key_kind(keyed.group("key"))
            if hint is None:
                return None
            value = keyed.group("value")
        out.append((value, _value_facts(value, hint, text)))
    return out


def read_facts(line: str) -> list[Fact] | None:
    """The facts of a header or `Key: value` line; None when any part of it is something else
    (prose, an unknown key), so the line is not a fact line."""
    chips = read_chips(line)
    if chips is None or not all(facts for _, facts in chips):
        return None
    return [fact for _, facts in chips for fact in facts]
