"""Facts a posting states in its header or in `Key: value` lines: salary, employment type,
workplace, places and company (`Contract: Full-time`, `` `💰 65k-95k USD` `🌎 Remote,North America` ``,
`Hybrid – Berlin`, `Standort: Hannover`, `Tipo de contrato: Indefinido`), the terms and keys of
the languages job boards write, the tables that tell regions from cities, and the facts read line
by line that the reader's blocks miss (table rows, Indeed's key-over-value lines, header lines)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import pycountry

from service.postings.importing.salary import figures_in
from service.postings.importing.text import ATX, ITEM, KEY_VALUE, NON_WORD_START, plain
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
        r"temporary|temp|seasonal|saisonarbeit|int[ée]rim|saisonnier|contrato temporal|tempor[aá]ri[oa]|tijdelijk"
        r"|vikariat|s[aä]songsanst[aä]llning",
    ),
    (
        # A fixed-term contract is a contract, as LinkedIn and the hosted boards file it (`Fixed-term: 24 months`,
        # `CDD`, `befristet`); temporary and seasonal work is the agency or season kind.
        EmploymentType.CONTRACT,
        r"contract(?:or)?|freelance(?:r)?|fixed[- ]term|befristet|cdd|tempo determinato|visstid(?:sanst[aä]llning)?"
        r"|freiberuflich|freie mitarbeit|ind[ée]pendant|aut[oó]nomo|zzp",
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
        r"hybrid(?:[- ]remote)?|hybride?|h[ií]brid[oa]|ibrido|mobiles arbeiten|homeoffice|teletrabajo parcial"
        r"|t[ée]l[ée]travail (?:partiel|occasionnel|fr[ée]quent|ponctuel|possible|autoris[ée]|r[ée]gulier)",
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
JOINED_KEY = re.compile(r"(?<=[.;])\s+(?=[^\W\d_][\w /&'’-]{0,30}:\s)")
"""Where a `Key: value` line joined to the one before it starts."""
VALUE_NEGATION = re.compile(
    r"\b(?:not|no|never|haven't|hasn't|isn't|aren't|won't|can't|cannot|without|kein\w*|nicht|pas|sin|sem|non|geen|ingen)\b",
    re.IGNORECASE,
)
"""A negation before a workplace term in a value (`on-site, there is no remote option`)."""
PARTLY_REMOTE = re.compile(
    r"\b\d(?:[.,]5)?\s*(?:days?|jours?|d[ií]as?|tage?|dias?|dagen|dagar)\b|\b(?:partial\w*|partly|some days|possible"
    r"|occasional\w*|flexible|partiel|occasionnel|ponctuel|parcial|teilweise|möglich|tempor[aá]rio)\b",
    re.IGNORECASE,
)
"""An answer that makes remote work a part of the week (`2 days a week`, `possible`, `partiel`)."""
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
_ZONE = r"(?:UTC|GMT|CET|CEST|EST|EDT|PST|PDT|ET|PT)(?:\s*[±+\-−]\s*\d{1,2}(?::\d\d)?)?"
TIME_ZONE_RANGE = re.compile(rf"\b(?:between\s+)?{_ZONE}\s*(?:and|to|–|—|-)\s*{_ZONE}(?!\w)", re.IGNORECASE)
"""A window of time zones (`between UTC-1 and UTC+3`, `UTC-5 to UTC-3`)."""
PLACE_NAME = re.compile(r"^[^\W\d_][\w.'’ -]{1,40}(?:, [^\W\d_][\w.'’ -]{1,40})?$")
"""A place's name (`Fitzroy, Melbourne` is one: a district and its city)."""
PLACE_NOISE = re.compile(
    r"\b(?:only|based|preferred|required|time ?zones?|anywhere in|residents? (?:of|in)|within|nur|uniquement"
    r"|seulement|solo|sólo|solamente|residentes? en|apenas|somente|residentes? (?:no|na|em)|alleen|endast)\b",
    re.IGNORECASE,
)
"""Words around the places of a value (`UK only`, `solo residentes en España`, `anywhere in Europe`)."""
PLACE_EDGE = re.compile(
    r"^(?:in|at|near|from|im|in der|en|em|no|na|à|a|au|aux|dans|nahe|bei)\s+|\s+[A-Z]{1,2}\d[A-Z\d]?(?:\s*\d[A-Z]{2})?$"
    r"|^\d{4,5}\s+|\s+\d{5}(?:-\d{4})?$"
)
"""A preposition before a place or a postcode beside it (`in Manchester M2`, `30159 Hannover`, `Austin 78701`)."""
LOCAL_COUNTRY_NAMES = frozenset(
    {
        "deutschland",
        "osterreich",
        "schweiz",
        "suisse",
        "svizzera",
        "espana",
        "brasil",
        "mexico",
        "italia",
        "nederland",
        "belgique",
        "belgie",
        "sverige",
        "norge",
        "danmark",
        "suomi",
        "polska",
        "cesko",
        "eire",
        "allemagne",
        "espagne",
        "royaume-uni",
        "reino unido",
        "estados unidos",
        "alemania",
        "francia",
        "franca",
        "inglaterra",
        "portugal",
        "france",
    }
)
"""Countries as their own languages (and their neighbours') write them."""
PLACE_SPLIT = re.compile(r"\s*(?:,|/|;|\||\(|\)|\bor\b|\band\b|\bbetween\b|–|—|\s-\s)\s*")
CALENDAR = re.compile(
    r"^(?:mon|tues|wednes|thurs|fri|satur|sun)day$|^(?:january|february|march|april|may|june|july|august|september"
    r"|october|november|december)\b",
    re.IGNORECASE,
)
"""Days and months: capitalised, but no place (`Monday to Saturday`)."""
STREET = re.compile(
    r"\b(?:street|st|avenue|ave|boulevard|blvd|road|rd|lane|ln|drive|dr|suite|floor|stra(?:ss|ß)e|str|rue|calle|rua"
    r"|via|avenida|av|gatan|straat|weg)\b\.?",
    re.IGNORECASE,
)
"""A street address's word (`1200 Harbor Blvd`, `Hauptstraße 5`): an address, not a place."""
DASH = re.compile(r"\s+[–—-]\s+")
ALTERNATIVES = re.compile(r"\s*(?:/|;|\||\bor\b|\band\b|\bto\b|\bou\b|\boder\b|\bo\b)\s*")
"""What sets places apart that are alternatives, not one inside the other (`Lisbon / Porto`, `US or Canada`)."""
ONE_PAIR = re.compile(r"[^,/;|()–—]+,[^,/;|()–—]+")
"""A value of two names and one comma (`Fitzroy, Melbourne`), no other separator."""
FACILITY = re.compile(
    r"\b(?:plant|campus|office|building|factory|warehouse|lab|laboratory|headquarters|hq|site|depot|store|center|centre"
    r"|hospital|clinic|pharmacy|school|academy|college|hotel)\b",
    re.IGNORECASE,
)
"""A word that names a site, not a place (`Chakan Plant`, `Main Campus`)."""


@dataclass(frozen=True, slots=True)
class Fact:
    kind: str
    """`salary`, `salary_text` (a salary line without figures), `employment`, `employment_text`
    (an employment line of no type), `workplace`, `workplace_text` (a workplace line of no
    workplace), `places` (a list of names), `company`."""
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


def place_groups(text: str) -> list[list[str]]:
    """The places a value names, in groups that each name one place or a place and what it is in
    (`Lisbon / Porto` is two groups, `Toronto, Ontario` one): noise words, prepositions,
    postcodes and asides that name no known place (`São Paulo (Vila Mariana)`, `Edinburgh
    (main campus)`) left out."""
    text = ASIDE.sub(lambda m: m.group(0) if _names_known_place(m.group(0)) else " ", PLACE_NOISE.sub("", text))
    without_hours = TIME_ZONE_RANGE.sub(" ", text)
    if without_hours != text and any(is_known_place(t) for t in PLACE_SPLIT.split(without_hours) if t.strip()):
        text = without_hours  # `anywhere in Europe between UTC-1 and UTC+3`: beside a region, a range is working hours
    segments = DASH.split(text)
    if len(segments) > 1 and place_line(segments[-1]) is not None:
        text = segments[-1]  # `Acme General Hospital – Phoenix, AZ`: the site, then the place it is in
    parts = [part for part in ALTERNATIVES.split(text) if part.strip(" .-–—:,()")]
    return [group for part in parts if (group := place_tokens(part, alone=len(parts) == 1))]


def place_tokens(text: str, *, alone: bool = True) -> list[str]:
    """The names of one group of places; a group of just two names, neither a known place, is
    one place when it stands `alone` in its value (`Fitzroy, Melbourne`: a district and its city)."""
    tokens = [PLACE_EDGE.sub("", t.strip(" .-–—:")).strip(" .-–—:") for t in PLACE_SPLIT.split(text)]
    tokens = [t for t in tokens if t and not FACILITY.search(t)]
    pair = alone and ONE_PAIR.fullmatch(text.strip(" .-–—:,")) and not re.search(r"\s-\s", text)
    if len(tokens) == 2 and pair and not any(is_known_place(t) or _is_subdivision_name(t) for t in tokens[1:]):
        return [f"{tokens[0]}, {tokens[1]}"]
    return tokens


def is_place_name(token: str) -> bool:
    """`token` is shaped like a place's name: capitalised, four words at most, no workplace term."""
    return (
        token[:1].isupper()
        and bool(PLACE_NAME.match(token))
        and len(token.split()) <= 4
        and not WORKPLACE.search(token)
    )


def _names_known_place(aside: str) -> bool:
    """An aside names a country, a region or a state (`(UK only)`, `(Ontario)`), not a district or a site."""
    return any(is_known_place(t) or _is_subdivision_name(t) for t in PLACE_SPLIT.split(aside) if t.strip())


def _is_subdivision_name(token: str) -> bool:
    key = _subdivision_key(token.strip())
    return bool(key) and key in _subdivisions()


def is_country(token: str) -> bool:
    """`token` names a country: in English, by its ISO name or code, or as its own language writes it."""
    key = ascii_folded(token).strip()
    return key in COUNTRIES or key in LOCAL_COUNTRY_NAMES or key in _country_names()


@functools.cache
def _country_names() -> frozenset[str]:
    """The world's countries by their ISO 3166 names (`Viet Nam`, `Czechia`), folded."""
    names = set()
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            name = getattr(country, attr, None)
            if name:
                names.add(ascii_folded(name))
    return frozenset(names)


def is_known_place(token: str) -> bool:
    key = token.lower().strip()
    return key in MACRO_REGIONS or is_country(token) or bool(TIME_ZONE.match(token.strip()))


ENGLISH_COUNTIES = frozenset(
    {
        "west yorkshire",
        "south yorkshire",
        "north yorkshire",
        "east riding yorkshire",
        "greater london",
        "greater manchester",
        "west midlands",
        "merseyside",
        "tyne and wear",
        "east sussex",
        "west sussex",
        "surrey",
    }
)
"""English counties that ISO 3166-2 does not list (it lists their boroughs), as `_subdivision_key`s."""
SUBDIVISION_WORDS = re.compile(
    r"\b(?:county|province|state|region|prefecture|district|län|lan|lans|of|the|canton|oblast|department|departement)\b"
)


def _subdivision_key(name: str) -> str:
    folded = ascii_folded(re.sub(r"\[[^\]]*\]", " ", name))  # pycountry appends codes to some: `Kalmar län [SE-08]`
    return " ".join(re.sub(r"[^a-z0-9]+", " ", SUBDIVISION_WORDS.sub(" ", folded)).split())


@functools.cache
def _subdivisions() -> frozenset[str]:
    """The names of the world's states, provinces and counties (ISO 3166-2, from pycountry), as `_subdivision_key`s."""
    names = {_subdivision_key(s.name) for s in pycountry.subdivisions}
    # Swedish counties are written in the genitive (`Gotlands län`): the bare name names them too.
    names |= {
        key[:-1] for s in pycountry.subdivisions if (key := _subdivision_key(s.name)).endswith("s") and "län" in s.name
    }
    return frozenset(names | ENGLISH_COUNTIES)


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
    for all a state, province or county does (`Austin, Texas`, `Bengaluru, Karnataka, India`)."""
    locations: list[str] = []
    regions: list[str] = []
    for tokens in groups:
        previous_city = False
        for token in tokens:
            key = token.lower()
            if key in MACRO_REGIONS or TIME_ZONE.match(token):
                regions.append(token)
                previous_city = False
            elif is_country(token):
                if remote:
                    regions.append(token)
                elif previous_city:
                    locations[-1] = f"{locations[-1]}, {token}"
                else:
                    locations.append(token)
                previous_city = False
            elif previous_city and is_subdivision(token, locations[-1]):
                locations[-1] = f"{locations[-1]}, {token}"
            elif is_place_name(token):
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


def _employment_facts(value: str, hint: str | None, line: str) -> list[Fact] | None:
    """The employment facts of a value; None when it is not an employment value at all. Under an
    employment key a value with no type is kept as text (`CDI`, `around 20 hours a week`)."""
    bare = ASIDE.sub("", value).strip()
    if hint != "employment" and not EMPLOYMENT_VALUE.match(bare):
        return None
    found = [Fact("employment", employment_of(m.group(1)), line) for m in EMPLOYMENT.finditer(value)]
    if hint != "employment" and not found:
        return [Fact("employment_text", value, line)]  # `CDI`, `Permanent`: a contract, but of no type
    if hint == "employment":
        found += [Fact("employment", employment_of(m.group(1)), line) for m in FACT_ONLY_EMPLOYMENT.finditer(bare)]
        if not found and not WORKPLACE.search(value):
            return [Fact("employment_text", value, line)]
    return found


def _workplace_words(value: str) -> list[str]:
    """The workplace terms of a value that no negation before them undoes
    (`on-site — we haven't figured out remote lattes yet` is on-site)."""
    outside = ASIDE.sub(" ", value)
    if WORKPLACE.search(outside):
        value = outside  # `Hybrid (3 days in office)`: the aside explains the workplace, it states no other
    return [m.group(1) for m in WORKPLACE.finditer(value) if not VALUE_NEGATION.search(value[: m.start()])]


def _remote_answer(value: str) -> Workplace | None:
    """What the answer to a `Remote:` or `Télétravail :` key says: some days or possible is hybrid,
    yes or all of it is remote, no is on-site (`Homeoffice: 2 Tage pro Woche`, `Remote: No`)."""
    if PARTLY_REMOTE.search(value):
        return Workplace.HYBRID
    if re.match(r"^\W*(?:yes|oui|ja|s[ií]|sim|100 ?%|fully|full|total)\b", value, re.IGNORECASE):
        return Workplace.REMOTE
    if re.match(r"^\W*(?:no|non|nein|n[ãa]o|nee|nej)\b", value, re.IGNORECASE):
        return Workplace.ONSITE
    return None


def _value_facts(value: str, hint: str | None, line: str) -> list[Fact]:
    value = value.strip().rstrip(" /|·").strip()  # Lever writes its categories `Full Time /`
    # Lines joined into one (`Job type: Temporary. Contract length: 11 weeks`): a value ends where the next key starts.
    value = JOINED_KEY.split(value, maxsplit=1)[0].strip()
    if hint == "company":
        return [Fact("company", value.strip(" ."), line)] if value.strip(" .") else []
    facts: list[Fact] = []
    if hint in (None, "salary"):
        facts += [Fact("salary", figure, line) for figure in figures_in(value)]
        if hint == "salary":
            return facts or [Fact("salary_text", value, line)]
        if facts:
            return facts
    employment = _employment_facts(value, hint, line)
    if employment is not None:
        if hint == "employment" or any(f.kind == "employment_text" for f in employment):
            return employment
        facts += employment
    if hint == "workplace" and not WORKPLACE.search(value):
        answer = _remote_answer(value)
        if answer is not None:
            return [Fact("workplace", answer, line)]
        # `Work model: flexible`: a workplace stated in words the importer cannot place, kept to say so.
        return [Fact("workplace_text", value, line)] if 0 < len(value.split()) <= 6 else []
    workplace = WORKPLACE.search(value) if hint in ("workplace", "places") else WORKPLACE_AT_EDGE.search(value)
    if workplace and hint != "employment":
        facts += [Fact("workplace", workplace_of(w), line) for w in _workplace_words(value)]
        facts += [Fact("places", group, line) for group in place_groups(WORKPLACE.sub(",", value))]
        return facts
    groups = place_groups(value)
    tokens = [t for group in groups for t in group]
    # Without a key or a place mark, a value is places only when each part is a place's name:
    # a sentence that mentions a country is prose.
    shaped = all(is_known_place(t) or is_place_name(t) for t in tokens)
    if tokens and (hint == "places" or (shaped and any(is_known_place(t) for t in tokens) and not facts)):
        facts += [Fact("places", group, line) for group in groups]
    elif hint == "places" and value:
        facts.append(Fact("places", [], line))  # `Location: our main office`: stated, though it names no place
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
        keyed = re.match(r"^(?P<key>[^\W\d_](?:[^\W\d_]|[ /&'’-]){0,30}?)\s*:\s*(?P<value>.+)$", value)
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


TABLE_ROW = re.compile(r"^\s*\|(?P<key>[^|]+)\|(?P<value>[^|]+)\|\s*$")
"""A two-column table row (`| Location | Edinburgh |`): a key and its value."""
KEYED_ALONE = ("employment", "places", "workplace")
"""The facts whose key may stand on a line of its own, its value on the next."""
HEADER_SPLIT = re.compile(r"\s+[–—-]\s+|\s+[|·•]\s+")
"""What sets a header line's parts apart (`Acme Ltd – Leeds, West Yorkshire`)."""


def place_line(line: str) -> list[list[str]] | None:
    """The places of a header line that names them the way people write a place, a city with its
    state, county or country (`Austin, Texas`, `Mississauga, ON`, `Visby, Gotland, Sweden`), alone,
    after the company (`Acme Ltd – Leeds, West Yorkshire`) or beside each other (`Austin, TX ·
    Denver, CO`), each as its names; None for any other line."""
    pieces = [piece for piece in HEADER_SPLIT.split(plain(line).strip()) if piece.strip()]
    return [tokens for piece in pieces if (tokens := _place_piece(piece)) is not None] or None


def _place_piece(piece: str) -> list[str] | None:
    """The names of a header line's piece that is a city with its state, county or country."""
    tokens = [t.strip() for t in piece.strip().split(",")]
    while len(tokens) > 2 and (tokens[0][:1].isdigit() or STREET.search(tokens[0])):
        tokens = tokens[1:]  # a street address before the city: `1200 Harbor Blvd, Oakland, CA 94607`
    tokens = [PLACE_EDGE.sub("", t).strip() for t in tokens]
    if not 2 <= len(tokens) <= 3 or not is_place_name(tokens[0]) or FACILITY.search(tokens[0]):
        return None
    if all(is_country(t) or is_subdivision(t, tokens[0]) for t in tokens[1:]):
        return tokens
    return None


def _value_shaped(line: str) -> bool:
    """A line that can be a fact's value: short, and not a sentence (`This is a plant-based role.`)."""
    text = plain(line).strip()
    return 0 < len(text) <= 60 and not re.search(r"[.!?]\s|[.!?]$", text)


def _lines_of(body: str) -> list[str]:
    return [line.strip() for line in body.splitlines() if line.strip()]


def _keyed(line: str) -> list[Fact]:
    """The facts of a `Key: value` line or a two-column table row whose key is a known one."""
    row = TABLE_ROW.match(line)
    if row:
        key, value = plain(row.group("key")).strip(" *:"), row.group("value").strip()
        if key_kind(key) is None or not value or set(value) <= set("-: "):
            return []
        line = f"{key}: {plain(value)}"
    if not KEY_VALUE.match(plain(ITEM.sub("", line))):
        return []
    return read_facts(line) or []


def line_facts(bodies: list[tuple[str | None, str]]) -> list[Fact]:
    """Facts read line by line from sections (`(heading, body)`, None the lead: the text before the
    first heading), for those the reader's blocks miss: `Key: value` lines run together, table
    rows, a key on its own line or as a heading with its value on the next (`Job type` /
    `Temporary`, as Indeed writes them), and header lines in the lead: `Full-time | On-site`,
    `Remote`, `Austin, Texas`."""
    out: list[Fact] = []
    for heading, body in bodies:
        lines = _lines_of(body)
        if heading is not None and lines and key_kind(heading.strip(" :")) in KEYED_ALONE and _value_shaped(lines[0]):
            out += read_facts(f"{heading.strip(' :')}: {plain(lines[0])}") or []
        for i, line in enumerate(lines):
            keyed = _keyed(line)
            key = plain(line).strip(" :")
            if not keyed and i + 1 < len(lines) and key_kind(key) in KEYED_ALONE and _value_shaped(lines[i + 1]):
                keyed = read_facts(f"{key}: {plain(lines[i + 1])}") or []
            out += keyed
            if heading is None and not keyed:
                out += _header_line_facts(line)
    return out


def _header_line_facts(line: str) -> list[Fact]:
    """The facts of a header line in the lead: its chips that are facts (a company or team name
    beside them aside), or the place it names."""
    places = place_line(line)
    if places is not None:
        return [Fact("places", tokens, plain(line)) for tokens in places]
    pieces = DASH.split(line) if DASH.search(line) else [line]  # `$22 - $26 an hour - Part-time`, as Indeed writes
    chips = [chip for piece in pieces for chip in read_chips(piece) or []]
    facts = [f for _, found in chips for f in found]
    unknown = [value for value, found in chips if not found]
    # `Acme · Sales · Remote (US only)`: names beside the facts are short; prose is not a header.
    if not facts or any(len(value.split()) > 4 for value in unknown):
        return []
    return facts


def with_line_facts(facts: list[Fact], bodies: list[tuple[str | None, str]], kinds: tuple[str, ...]) -> list[Fact]:
    """`facts`, and for each of `kinds` they hold none of, the facts of that kind read line by line
    (`line_facts`): what the reader's blocks found comes first and is never doubled."""
    extra = line_facts(bodies)
    added = [f for kind in kinds if not any(f.kind == kind for f in facts) for f in extra if f.kind == kind]
    return facts + added
