"""Posting import of where and how the work is done: the employment type, the workplace, the
locations and regions, in English and the other languages job boards write, and the warnings
about them. Each posting here is short and written for the rule it checks."""

from __future__ import annotations

import pytest

from service.postings.importing.facts import read_facts, sort_places
from service.postings.importing.imported import ImportedPosting, ImportWarningCode
from service.postings.importing.reader import parse_posting
from service.postings.models import EmploymentType, Workplace

FULL = EmploymentType.FULL_TIME
PART = EmploymentType.PART_TIME
CONTRACT = EmploymentType.CONTRACT
INTERN = EmploymentType.INTERNSHIP
TEMP = EmploymentType.TEMPORARY
REMOTE = Workplace.REMOTE
HYBRID = Workplace.HYBRID
ONSITE = Workplace.ONSITE


def _not_stated(imported: ImportedPosting) -> set[str]:
    return {w.field or "" for w in imported.warnings if w.code is ImportWarningCode.NOT_STATED}


def _posting(title: str, header: str, body: str = "We build software for small shops.") -> str:
    return f"{title}\n\nExample Works\n{header}\n\nAbout us\n{body}\n\nWhat you'll do\n- Build things\n- Fix things\n"


# --- other languages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "header", "employment", "workplace", "locations", "regions"),
    [
        (
            "Pflegefachkraft (m/w/d)",
            "Standort: Hannover\nBeschäftigungsart: Vollzeit (39 Stunden/Woche), unbefristet",
            FULL,
            None,
            ["Hannover"],
            [],
        ),
        (
            "Werkstudent Marketing (m/w/d)",
            "Arbeitsort: 80331 München\nAnstellungsart: Werkstudent\nArbeitsmodell: Hybrid",
            INTERN,
            HYBRID,
            ["München"],
            [],
        ),
        (
            "Buchhalter (m/w/d)",
            "Einsatzort: Köln\nArbeitszeit: Teilzeit, befristet auf 12 Monate",
            None,
            None,
            ["Köln"],
            [],
        ),
        (
            "Développeur backend (H/F)",
            "Lieu : Nantes\nType de contrat : CDD de 6 mois\nMode de travail : Télétravail partiel",
            CONTRACT,
            HYBRID,
            ["Nantes"],
            [],
        ),
        ("Chargée de clientèle", "Localisation : Lille\nType de contrat : Stage", INTERN, None, ["Lille"], []),
        (
            "Desarrollador/a Frontend",
            "Ubicación: Sevilla – presencial\nTipo de contrato: Indefinido, jornada completa",
            FULL,
            ONSITE,
            ["Sevilla"],
            [],
        ),
        (
            "Diseñador/a de producto",
            "📍 100% remoto (solo residentes en México)\n⏰ Medio tiempo",
            PART,
            REMOTE,
            [],
            ["México"],
        ),
        (
            "Analista de Dados",
            "Localização: Belo Horizonte, MG – híbrido\nRegime: PJ",
            CONTRACT,
            HYBRID,
            ["Belo Horizonte, MG"],
            [],
        ),
        (
            "Estágio em Engenharia",
            "Local: Recife, PE (Boa Viagem)\nRegime: Estágio, 30 horas semanais",
            INTERN,
            None,
            ["Recife, PE"],
            [],
        ),
        (
            "Sviluppatore Java",
            "Sede: Torino\nTipo di contratto: tempo pieno, tempo indeterminato",
            FULL,
            None,
            ["Torino"],
            [],
        ),
        ("Verpleegkundige", "Standplaats: Utrecht\nDienstverband: deeltijd (24 uur)", PART, None, ["Utrecht"], []),
        ("Receptionist", "Ort: Umeå\nAnställningsform: Visstidsanställning", CONTRACT, None, ["Umeå"], []),
    ],
)
def test_fact_keys_and_terms_of_other_languages(
    title: str,
    header: str,
    employment: EmploymentType | None,
    workplace: Workplace | None,
    locations: list[str],
    regions: list[str],
) -> None:
    imported = parse_posting(_posting(title, header))
    assert imported.employment_type is employment
    assert imported.workplace is workplace
    assert (imported.locations, imported.regions) == (locations, regions)


def test_a_permanent_contract_alone_is_full_time_with_a_warning() -> None:
    imported = parse_posting(_posting("Comptable (H/F)", "Lieu : Bordeaux\nType de contrat : CDI"))
    assert imported.employment_type is FULL
    assert [w.code for w in imported.warnings if w.field == "employmentType"] == [ImportWarningCode.INFERRED]


def test_employment_terms_of_other_languages_in_prose() -> None:
    imported = parse_posting(
        "Pflegehelfer (m/w/d)\n\nÜber uns\nWir suchen Sie ab sofort in Vollzeit für unsere Station in Kiel.\n"
    )
    assert imported.employment_type is FULL


def test_french_stage_is_an_internship_only_as_a_fact() -> None:
    as_fact = parse_posting(_posting("Assistant marketing", "Type de contrat : Stage (6 mois)"))
    assert as_fact.employment_type is INTERN
    in_prose = parse_posting(_posting("Early Stage Investor", "Location: London", "We back early stage founders."))
    assert in_prose.employment_type is None


# --- hybrid, on-site and remote in prose --------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "workplace"),
    [
        ("You'll spend two days a week in our Leeds office and work the rest from home.", HYBRID),
        ("This post is hybrid: at least 2 days a week on campus, the remainder worked remotely.", HYBRID),
        ("This internship is on-site at our workshop in Ghent.", ONSITE),
        ("This is a store-based role. You will work on-site with the team.", ONSITE),
        ("The role is remote within the EU; we meet twice a year.", REMOTE),
        ("Trabajo 100% remoto desde cualquier lugar de España.", REMOTE),
        ("Modelo de trabalho híbrido: três dias no escritório.", HYBRID),
        ("Le poste est en présentiel dans nos locaux.", ONSITE),
        ("Hybrides Arbeiten mit 2 Tagen Homeoffice pro Woche.", HYBRID),
    ],
)
def test_workplace_sentences(sentence: str, workplace: Workplace) -> None:
    imported = parse_posting(f"Engineer\n\nAbout the job\n{sentence}\n\nWhat you'll do\n- Build things\n")
    assert imported.workplace is workplace


def test_a_remote_mention_that_is_denied_or_hybrid_does_not_make_the_work_remote() -> None:
    denied = parse_posting("Picker\n\nAbout the job\nThis role is on-site; there is no remote option.\n")
    assert denied.workplace is ONSITE
    header = parse_posting(
        "Analyst\n\nExample Works · Hybrid\n\nAbout the job\nThree days in the office; the rest you work from home.\n"
    )
    assert header.workplace is HYBRID
    assert not [w for w in header.warnings if w.field == "workplace"]


def test_a_negation_inside_a_location_value_undoes_its_workplace_term() -> None:
    facts = read_facts("📍 Location: Carlton, Melbourne (on-site — we haven't found a way to pour remote coffee)")
    assert facts is not None
    assert [f.value for f in facts if f.kind == "workplace"] == [ONSITE]
    assert [f.value for f in facts if f.kind == "places"] == [["Carlton, Melbourne"]]


def test_hybrid_remote_as_indeed_writes_it_is_hybrid_and_its_place_loses_the_postcode() -> None:
    facts = read_facts("Work Location: Hybrid remote in Bristol BS1")
    assert facts is not None
    assert [(f.kind, f.value) for f in facts] == [("workplace", HYBRID), ("places", ["Bristol"])]


# --- places -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "locations"),
    [
        ("Portland, Oregon\nFull-time | On-site", ["Portland, Oregon"]),
        ("Example Works – Sheffield, South Yorkshire", ["Sheffield, South Yorkshire"]),
        ("Halifax, NS\nFull-time", ["Halifax, NS"]),
        ("Örebro, Örebro, Sweden\nFull-time", ["Örebro, Örebro, Sweden"]),
        ("Location: Hosur Plant, Chennai, Tamil Nadu", ["Chennai, Tamil Nadu"]),
        ("Location: Glasgow (Main Campus)", ["Glasgow"]),
        ("Location: Toronto (Ontario)", ["Toronto, Ontario"]),
        ("Locations: Lisbon / Porto", ["Lisbon", "Porto"]),
    ],
)
def test_places_as_postings_write_them(header: str, locations: list[str]) -> None:
    imported = parse_posting(_posting("Engineer", header))
    assert imported.locations == locations


def test_a_sentence_naming_a_country_is_no_place() -> None:
    imported = parse_posting(
        "Engineer\n\nExample Works\nWe are a team from all over Germany, Austria and Europe, hiring engineers.\n\n"
        "What you'll do\n- Build things\n"
    )
    assert imported.locations == [] and imported.regions == []


def test_table_rows_and_a_key_on_its_own_line_are_facts() -> None:
    table = parse_posting(
        "# Research Engineer\n\n| | |\n|---|---|\n| Location | Dundee |\n| Contract | Fixed-term, 18 months |\n\n"
        "## The role\n\nThis post is hybrid with two days a week on campus and the rest worked from home.\n"
    )
    assert (table.employment_type, table.workplace, table.locations) == (CONTRACT, HYBRID, ["Dundee"])
    indeed = parse_posting(
        "Picker\n\nExample Works\n\nJob details\n\nJob type\nSeasonal\n\nLocation\nReno, NV\n\nAbout us\nWe ship.\n"
    )
    assert (indeed.employment_type, indeed.locations) == (TEMP, ["Reno, NV"])


def test_lines_joined_into_one_keep_their_values_apart() -> None:
    facts = read_facts("Job type: Seasonal. Contract length: 10 weeks")
    assert facts is not None and [f.value for f in facts] == [TEMP]


# --- regions ------------------------------------------------------------------------------------


def test_time_zones_beside_a_region_are_working_hours() -> None:
    facts = read_facts("Location: Remote – anywhere in Europe between UTC-1 and UTC+2")
    assert facts is not None
    groups = [f.value for f in facts if f.kind == "places"]
    assert sort_places(groups, remote=True) == ([], ["Europe"])
    alone = read_facts("Location: Remote (UTC-5 to UTC-3)")
    assert alone is not None
    assert sort_places([f.value for f in alone if f.kind == "places"], remote=True)[1] == ["UTC-5", "UTC-3"]


def test_regions_of_a_remote_role_from_prose() -> None:
    imported = parse_posting(
        "Support Specialist\n\nExample Works · Remote\n\nAbout the job\n"
        "This is a fully remote role; you must be based in the United Kingdom.\n"
    )
    assert (imported.workplace, imported.regions) == (REMOTE, ["United Kingdom"])
    assert "locations" not in _not_stated(imported) and "regions" not in _not_stated(imported)


def test_work_from_anywhere_is_stated_not_silent() -> None:
    imported = parse_posting(
        "Support Specialist\n\nAbout the job\nThis is a fully remote position: work from anywhere you like.\n"
    )
    assert imported.workplace is REMOTE
    assert imported.regions == []
    assert not _not_stated(imported) & {"locations", "regions"}


def test_a_posting_that_names_no_place_is_still_warned() -> None:
    imported = parse_posting("Engineer\n\nAbout the job\nWe build software for small shops.\n")
    assert {"locations", "workplace", "employmentType"} <= _not_stated(imported)


@pytest.mark.parametrize(
    ("header", "locations"),
    [
        ("Location: Lakeside Medical Center – Tucson, AZ", ["Tucson, AZ"]),
        ("Location: Northside Clinic – Denver, CO (Five Points)", ["Denver, CO"]),
        ("450 Elm Street, Dayton, OH 45402\nPart-time", ["Dayton, OH"]),
        ("Location: Remote – UK", []),
    ],
)
def test_a_site_or_street_before_the_place_is_left_out(header: str, locations: list[str]) -> None:
    imported = parse_posting(_posting("Technician", header))
    assert imported.locations == locations


def test_a_header_line_as_indeed_writes_it_with_dashes() -> None:
    imported = parse_posting(_posting("Cashier", "Fresno, CA\n$18 - $20 an hour - Part-time"))
    assert (imported.employment_type, imported.locations) == (PART, ["Fresno, CA"])


@pytest.mark.parametrize(
    ("line", "workplace"),
    [
        ("Télétravail : 2 jours par semaine", HYBRID),
        ("Homeoffice: möglich", HYBRID),
        ("Remote: Yes", REMOTE),
        ("Remote: No", ONSITE),
        ("Télétravail : Télétravail occasionnel autorisé", HYBRID),
        ("Workplace: Hybrid (2 days in office)", HYBRID),
    ],
)
def test_answers_to_a_workplace_key(line: str, workplace: Workplace) -> None:
    facts = read_facts(line)
    assert facts is not None and [f.value for f in facts if f.kind == "workplace"] == [workplace]


def test_a_chip_line_with_a_permanent_contract_and_a_workplace() -> None:
    imported = parse_posting("Comptable (H/F)\nCDI · Rennes · Télétravail partiel\n\nQui sommes-nous ?\nUne équipe.\n")
    assert (imported.employment_type, imported.workplace) == (FULL, HYBRID)


def test_a_long_sentence_under_a_location_heading_is_no_place() -> None:
    imported = parse_posting(
        "Operator\n\nAbout us\nWe make parts.\n\nWork Location\n"
        "This is a plant-based role. You will work on-site at our Elk Grove facility, Monday to Friday.\n"
    )
    assert imported.workplace is ONSITE
    assert imported.locations == []


# --- warnings -----------------------------------------------------------------------------------


def test_a_place_or_workplace_given_in_words_that_cannot_be_read_is_said_to_be_given() -> None:
    imported = parse_posting(_posting("Engineer", "Work model: depends on the team\nLocation: our main office"))
    by_field = {w.field: w for w in imported.warnings}
    assert by_field["workplace"].code is ImportWarningCode.AMBIGUOUS
    assert "“depends on the team”" in by_field["workplace"].message
    assert by_field["locations"].code is ImportWarningCode.AMBIGUOUS
    assert "our main office" in by_field["locations"].message
    assert not _not_stated(imported) & {"workplace", "locations"}


def test_what_a_company_is_does_not_make_a_role_remote() -> None:
    imported = parse_posting(
        "Engineer\n\nAbout us\nWe are a remote-friendly company with offices in three cities.\n\n"
        "What you'll do\n- Build things\n"
    )
    assert imported.workplace is None
