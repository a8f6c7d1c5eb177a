"""Posting import: the sections a posting's headings do not show (the lead's introduction, labelled
lines, optional requirements, a process laid out under another heading), headings and interview
steps in other languages, and the shapes interview steps are written in."""

from __future__ import annotations

import pytest

from service.pipeline.models import StageKind
from service.postings.importing.imported import ImportedPosting, ImportWarningCode
from service.postings.importing.layout import column_of, is_optional
from service.postings.importing.reader import parse_posting

W = ImportWarningCode


def steps(imported: ImportedPosting) -> list[str]:
    """The stages read, without the pipeline's own Applied and Hired."""
    return [name for name, _ in (imported.stages or [])][1:-1]


def not_stated(imported: ImportedPosting) -> set[str | None]:
    return {w.field for w in imported.warnings if w.code is W.NOT_STATED}


# --- the lead --------------------------------------------------------------------------------------


def test_a_lead_that_introduces_the_company_is_its_about_not_the_description() -> None:
    imported = parse_posting(
        "Line Cook\n\n"
        "Copperpot Kitchen is a 60-cover neighbourhood bistro that cooks everything from scratch.\n\n"
        "Applications close on 30 June.\n\n"
        "What you'll do\n- Run the grill station\n- Prep sauces for service\n"
    )
    assert imported.columns["about"] == (
        "Copperpot Kitchen is a 60-cover neighbourhood bistro that cooks everything from scratch."
    )
    assert imported.description == "Applications close on 30 June."


@pytest.mark.parametrize(
    "lead",
    [
        "Hi there! 👋 Fernway Studio builds booking tools for yoga teachers.",
        "We build accounting software for small charities.",
        "At Lindqvist Bikes, we repair and rent bicycles in three cities.",
        "Wir sind ein Familienunternehmen mit 80 Mitarbeitenden in Kassel.",
        "Somos una cooperativa de energía renovable con sede en Valencia.",
    ],
)
def test_company_introductions_as_leads_write_them(lead: str) -> None:
    imported = parse_posting(f"Office Manager\n\n{lead}\n\nResponsibilities\n- Keep the office running\n")
    assert imported.columns.get("about") == lead


@pytest.mark.parametrize(
    "lead",
    [
        "Thanks for stopping by. We will publish more here soon.",
        "This is a fully remote position with flexible hours.",
        "Harwick Ltd is an equal opportunity employer.",
    ],
)
def test_a_lead_that_introduces_no_company_stays_in_the_description(lead: str) -> None:
    imported = parse_posting(f"Office Manager\n\n{lead}\n\nResponsibilities\n- Keep the office running\n")
    assert "about" not in imported.columns
    assert imported.description == lead


def test_a_lead_telling_the_candidate_what_they_will_do_is_the_duties_only_when_no_section_lists_them() -> None:
    role = "You will own our billing service end to end, from the schema to the on-call rota."
    without = parse_posting(f"Backend Engineer\n\n{role}\n\nRequirements\n- Go or Rust\n")
    assert without.columns["responsibilities"] == role
    with_duties = parse_posting(f"Backend Engineer\n\n{role}\n\nResponsibilities\n- Ship features\n")
    assert with_duties.columns["responsibilities"] == "- Ship features"
    assert with_duties.description == role


# --- labelled lines --------------------------------------------------------------------------------


HEADLESS = (
    "Fieldnote | Backend Engineer | Remote (EU) | Full-time\n\n"
    "We make offline-first survey apps for field researchers.\n\n"
    "Looking for: 4+ years of backend work, ideally with sync protocols.\n\n"
    "Pay is €70k–€85k a year. Benefits: a learning budget, 30 days off, a new laptop.\n\n"
    "Process: intro call → pairing session → chat with the founders. We answer everyone.\n\n"
    "Apply: https://fieldnote.example/jobs/backend\n"
)


def test_a_posting_without_headings_is_divided_by_its_labels() -> None:
    imported = parse_posting(HEADLESS)
    assert imported.columns["about"] == "We make offline-first survey apps for field researchers."
    assert imported.columns["requirements"] == "4+ years of backend work, ideally with sync protocols."
    assert imported.columns["benefits"] == "a learning budget, 30 days off, a new laptop."
    assert imported.columns["interview_process"].startswith("intro call → pairing session")
    assert steps(imported) == ["Intro call", "Pairing session", "Chat with the founders"]
    assert "stages" not in not_stated(imported)
    # What no label names stays in the description, in its place.
    assert imported.description == "Pay is €70k–€85k a year.\n\nApply: https://fieldnote.example/jobs/backend"
    assert [s.heading for s in imported.sections] == ["Looking for", "Benefits", "Process"]


def test_a_fact_line_and_a_label_naming_the_sections_own_column_stay_where_they_are() -> None:
    imported = parse_posting(
        "# Bookkeeper\n\n## What we offer\n\n- Pension\n\nSalary: £30,000 per year\n\nPerks: free parking.\n"
    )
    assert imported.columns["benefits"] == "- Pension\n\nSalary: £30,000 per year\n\nPerks: free parking."
    assert [s.heading for s in imported.sections] == ["What we offer"]


def test_a_process_written_as_one_line_under_how_to_apply_is_the_process() -> None:
    imported = parse_posting(
        "# Barista\n\n## Perks\n\n- Free coffee\n\n## How to apply\n\n"
        "Our process: quick phone chat → paid 3-hour trial shift → offer. Email your CV to jobs@cafe.example.\n"
    )
    assert steps(imported) == ["Phone chat", "Paid trial shift", "Offer"]
    assert "quick phone chat" in imported.columns["interview_process"]


def test_a_process_laid_out_without_a_label_or_heading_is_still_read() -> None:
    imported = parse_posting(
        "# Data Analyst\n\n## Benefits\n\n- Remote budget\n\n"
        "Our hiring process has three steps: a recruiter call, a take-home exercise and a final interview.\n"
    )
    assert steps(imported) == ["Recruiter call", "Take-home exercise", "Final interview"]
    assert imported.columns["benefits"] == "- Remote budget"


def test_a_paragraph_naming_no_steps_is_no_process() -> None:
    imported = parse_posting(
        "# Data Analyst\n\n## How to apply\n\nSend your CV and a short note. We reply to everyone within a week.\n"
    )
    assert imported.stages is None
    assert "stages" in not_stated(imported)


# --- headings --------------------------------------------------------------------------------------


def test_a_section_named_for_the_role_holds_the_duties_only_when_none_is_named_for_them() -> None:
    role = "## The role\n\nYou will lead our claims redesign.\n\n- Run research with customers\n"
    alone = parse_posting(f"# Product Designer\n\n## About Pennyworth\n\nPennyworth insures bikes.\n\n{role}")
    assert alone.columns["responsibilities"].startswith("You will lead our claims redesign.")
    assert alone.columns["about"] == "Pennyworth insures bikes."
    beside = parse_posting(f"# Product Designer\n\n{role}\n## What you'll do\n\n- Ship the new flow\n")
    assert beside.columns["about"].startswith("You will lead")
    assert beside.columns["responsibilities"] == "- Ship the new flow"


@pytest.mark.parametrize(
    ("heading", "column"),
    [
        ("Person specification", "requirements"),
        ("What you'll bring", "requirements"),
        ("Essential duties and responsibilities", "responsibilities"),
        ("What we can offer you", "benefits"),
        ("Job summary", "about"),
        ("Qui sommes-nous ?", "about"),
        ("Profil recherché", "requirements"),
        ("Les + du poste", "benefits"),
        ("Ihre Aufgaben", "responsibilities"),
        ("Das bringst du mit", "requirements"),
        ("Von Vorteil", "nice_to_have"),
        ("¿Qué harás?", "responsibilities"),
        ("Sobre a vaga", "about"),
        ("Diferenciais", "nice_to_have"),
        ("Cosa offriamo", "benefits"),
        ("Wat vragen wij", "requirements"),
        ("Rekryteringsprocess", "interview_process"),
        ("Über dich", "requirements"),
        ("À propos de vous", "requirements"),
        ("Om dig", "requirements"),
        ("Why Fernway?", "benefits"),
        ("What happens next", "interview_process"),
        ("Schedule", None),
        ("How to apply", None),
    ],
)
def test_headings_in_english_and_other_languages_name_their_section(heading: str, column: str | None) -> None:
    assert column_of(heading) == column


def test_a_plain_text_heading_may_be_a_question_when_it_names_a_section() -> None:
    imported = parse_posting(
        "Commercial(e) sédentaire\n\nQui sommes-nous ?\nUne PME lyonnaise de 40 personnes.\n\n"
        "Pourquoi pas vous?\nUne phrase qui n'est pas un titre.\n"
    )
    assert imported.columns["about"].startswith("Une PME lyonnaise")
    assert [s.heading for s in imported.sections] == ["Qui sommes-nous ?"]


# --- optional requirements -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "optional"),
    [
        ("- Danish or Norwegian is a plus", True),
        ("- A forklift licence is an asset.", True),
        ("- Spanish (preferred)", True),
        ("- ➕ Bonus: latte art", True),
        ("- Kitchen experience is a big plus (not required)", True),
        ("- Erfahrung im Vertrieb wünschenswert", True),
        ("- Experiencia con Kotlin valorable", True),
        ("- Python (Django a plus)", False),
        ("- Cloud experience (AWS preferred)", False),
        ("- Strong SQL; dbt is a plus", False),
        ("- 3+ years in sales, ideally in hospitality", False),
    ],
)
def test_a_requirement_is_optional_only_when_marked_so_as_a_whole(item: str, optional: bool) -> None:
    assert is_optional(item) is optional


def test_optional_requirements_join_the_nice_to_haves() -> None:
    imported = parse_posting(
        "# Warehouse Associate\n\n## What we're looking for\n\n- Right to work in the UK\n"
        "- Danish or Norwegian is a plus\n- Able to lift 15 kg\n\nA forklift licence is an asset.\n\n"
        "## Nice to have\n\n- First-aid certificate\n"
    )
    assert imported.columns["requirements"] == "- Right to work in the UK\n- Able to lift 15 kg"
    assert imported.columns["nice_to_have"] == (
        "- Danish or Norwegian is a plus\n\nA forklift licence is an asset.\n\n"
        "**Nice to have**\n\n- First-aid certificate"
    )


# --- other languages -------------------------------------------------------------------------------

GERMAN = """# Elektroniker (m/w/d)

## Über uns
Die Stadtwerke Lindenau versorgen 40.000 Haushalte mit Strom und Wärme.

## Deine Aufgaben
- Wartung unserer Umspannwerke
- Störungsdienst im Wechsel

## Das bringst du mit
- Abgeschlossene Ausbildung als Elektroniker
- Führerschein Klasse B
- Erfahrung mit SPS-Steuerungen von Vorteil

## Das bieten wir
- 30 Tage Urlaub
- Betriebliche Altersvorsorge

## Bewerbungsprozess
1. Telefonisches Erstgespräch (ca. 20 Minuten)
2. Vorstellungsgespräch vor Ort
3. Probetag im Team
"""
FRENCH = """Technicien de maintenance H/F

Qui sommes-nous ?
Ateliers Brunel fabrique des pièces de précision pour l'aéronautique.

Vos missions
- Assurer la maintenance préventive des machines
- Diagnostiquer les pannes

Profil recherché
- BTS Maintenance des systèmes
- La connaissance de l'anglais technique serait un plus

Avantages
- Tickets restaurant
- Mutuelle prise en charge à 70 %

Processus de recrutement
- Un entretien téléphonique avec notre chargée RH (20 minutes)
- Un entretien sur site avec le responsable de production
- Une proposition sous une semaine
"""
SPANISH = """# Enfermero/a de quirófano

## Quiénes somos
Clínica Mirasol es un hospital privado con 120 camas en Málaga.

## Responsabilidades
- Preparar el quirófano y el instrumental
- Asistir al equipo de cirugía

## Requisitos
- Grado en Enfermería
- Colegiación en vigor

## Valorable
- Experiencia en cirugía cardiaca

## Beneficios
- Seguro médico
- Formación continua

## Proceso de selección
1. Llamada con Recursos Humanos
2. Entrevista con la supervisora de enfermería
3. Oferta
"""
PORTUGUESE = """Analista de Dados Júnior

Sobre nós
A Trilha Verde é uma startup de logística sustentável em Curitiba.

O que você vai fazer
• Construir painéis para as equipes de operação
• Automatizar relatórios semanais

Requisitos
• Conhecimento de SQL
• Python básico

Diferenciais
• Experiência com Power BI

O que oferecemos
• Vale-refeição
• Plano de saúde

Processo seletivo
• Conversa inicial com o RH
• Desafio técnico (até 3 horas)
• Entrevista final com a liderança
"""
ITALIAN = """# Sviluppatore Frontend

## Chi siamo
Pasticceria Digitale è un'agenzia di Torino che crea e-commerce per artigiani.

## Cosa farai
- Sviluppare componenti in React

## Requisiti
- 2 anni di esperienza con TypeScript
- Conoscenza di Figma gradita

## Cosa offriamo
- Buoni pasto

## Processo di selezione
- Chiamata conoscitiva
- Colloquio tecnico con il team
"""
DUTCH = """# Servicemonteur

## Over ons
Klimaatwerk is een installatiebedrijf in Utrecht met 35 monteurs.

## Wat ga je doen
- Onderhoud van warmtepompen

## Wat vragen wij
- MBO-diploma installatietechniek
- Rijbewijs B

## Wat bieden wij
- Een bus van de zaak

## Sollicitatieprocedure
- Kennismakingsgesprek
- Meeloopdag
"""
SWEDISH = """# Lagerarbetare

## Om oss
Norrfrakt är ett logistikföretag i Umeå.

## Arbetsuppgifter
- Plock och pack

## Vem är du?
- Truckkort A och B
- Erfarenhet av lagerarbete är meriterande

## Vi erbjuder
- Friskvårdsbidrag

## Rekryteringsprocess
- Telefonintervju
- Intervju på plats
"""


@pytest.mark.parametrize(
    ("text", "about", "duty", "requirement", "nice", "benefit", "stages"),
    [
        (
            GERMAN,
            "versorgen 40.000 Haushalte",
            "Wartung unserer Umspannwerke",
            "Führerschein Klasse B",
            "SPS-Steuerungen von Vorteil",
            "30 Tage Urlaub",
            [
                ("Telefonisches Erstgespräch", StageKind.SCREEN),
                ("Vorstellungsgespräch vor Ort", StageKind.INTERVIEW),
                ("Probetag im Team", StageKind.ASSESSMENT),
            ],
        ),
        (
            FRENCH,
            "pièces de précision",
            "maintenance préventive",
            "BTS Maintenance",
            "anglais technique serait un plus",
            "Tickets restaurant",
            [
                ("Un entretien téléphonique avec notre chargée RH", StageKind.SCREEN),
                ("Un entretien sur site avec le responsable de production", StageKind.INTERVIEW),
                ("Une proposition sous une semaine", StageKind.OFFER),
            ],
        ),
        (
            SPANISH,
            "hospital privado",
            "Preparar el quirófano",
            "Grado en Enfermería",
            "cirugía cardiaca",
            "Seguro médico",
            [
                ("Llamada con Recursos Humanos", StageKind.SCREEN),
                ("Entrevista con la supervisora de enfermería", StageKind.INTERVIEW),
                ("Oferta", StageKind.OFFER),
            ],
        ),
        (
            PORTUGUESE,
            "logística sustentável",
            "Construir painéis",
            "Conhecimento de SQL",
            "Power BI",
            "Vale-refeição",
            [
                ("Conversa inicial com o RH", StageKind.INTERVIEW),
                ("Desafio técnico", StageKind.ASSESSMENT),
                ("Entrevista final com a liderança", StageKind.INTERVIEW),
            ],
        ),
        (
            ITALIAN,
            "e-commerce per artigiani",
            "componenti in React",
            "TypeScript",
            "Figma gradita",
            "Buoni pasto",
            [("Chiamata conoscitiva", StageKind.SCREEN), ("Colloquio tecnico con il team", StageKind.INTERVIEW)],
        ),
        (
            DUTCH,
            "installatiebedrijf",
            "warmtepompen",
            "Rijbewijs B",
            None,
            "bus van de zaak",
            [("Kennismakingsgesprek", StageKind.SCREEN), ("Meeloopdag", StageKind.ASSESSMENT)],
        ),
        (
            SWEDISH,
            "logistikföretag",
            "Plock och pack",
            "Truckkort",
            "lagerarbete är meriterande",
            "Friskvårdsbidrag",
            [("Telefonintervju", StageKind.SCREEN), ("Intervju på plats", StageKind.INTERVIEW)],
        ),
    ],
)
def test_postings_in_other_languages_fill_every_section_and_the_process(
    text: str,
    about: str,
    duty: str,
    requirement: str,
    nice: str | None,
    benefit: str,
    stages: list[tuple[str, StageKind]],
) -> None:
    imported = parse_posting(text)
    assert about in imported.columns["about"]
    assert duty in imported.columns["responsibilities"]
    assert requirement in imported.columns["requirements"]
    if nice is not None:
        assert nice in imported.columns["nice_to_have"]
        assert nice not in imported.columns["requirements"]
    assert benefit in imported.columns["benefits"]
    assert (imported.stages or [])[1:-1] == stages
    assert not any(w.code is W.UNMAPPED_SECTION for w in imported.warnings)
    assert "stages" not in not_stated(imported)


# --- interview steps -------------------------------------------------------------------------------


def _process(process: str) -> list[str]:
    return steps(parse_posting(f"# Engineer\n\nAcme builds booking software.\n\n## Interview process\n\n{process}\n"))


@pytest.mark.parametrize(
    ("process", "expected"),
    [
        (
            "- Recruiter screen\n- Virtual onsite: system design, coding, and a values interview",
            ["Recruiter screen", "Virtual onsite"],
        ),
        ("- 💻 Short case: model a small dataset (2 hours)\n- Panel interview", ["Short case", "Panel interview"]),
        (
            "Intro call → paid take-home → final loop with the team.",
            ["Intro call", "Paid take-home", "Final loop with the team"],
        ),
        (
            "- A case discussion with two analysts from our finance team\n- Final chat with the CEO",
            ["Case discussion with two analysts from the finance team", "Final chat with the CEO"],
        ),
        (
            "A 45-minute technical call, followed by a pairing session with two members of the team. "
            "We will call you back within a week.",
            ["Technical call", "Pairing session with the team"],
        ),
        ("- Llamada de 30 minutos con el equipo\n- Prueba técnica", ["Llamada con el equipo", "Prueba técnica"]),
        ("- Phone screen\n- We do not do a take-home test\n- Offer", ["Phone screen", "Offer"]),
        ("Three steps: 1) phone screen 2) onsite loop 3) offer.", ["Phone screen", "Onsite loop", "Offer"]),
        (
            "First, a call with a recruiter. Then a panel interview. Finally, an offer.",
            ["Call with a recruiter", "Panel interview", "Offer"],
        ),
        (
            "1. You'll speak with our Director of Nursing about your experience\n2. Tour of the unit",
            ["You'll speak with the Director of Nursing", "Tour of the unit"],
        ),
        (
            "Phone screen with HR\nShadow shift on the ward\nHiring manager call\nBackground check",
            ["Phone screen with HR", "Shadow shift on the ward", "Hiring manager call", "Background check"],
        ),
    ],
)
def test_interview_steps_in_the_shapes_postings_write_them(process: str, expected: list[str]) -> None:
    assert _process(process) == expected


def test_every_step_of_an_inline_sequence_is_a_stage() -> None:
    """An arrow sequence lays its steps out: one the keyword tables do not know (`Schnuppertag`)
    is a step all the same, and a German compound names its kind (`Fachinterview`)."""
    imported = parse_posting(
        "Backend-Entwickler\n\nMuster GmbH\n\n## Bewerbungsprozess\n\n"
        "Kennenlernen → Fachinterview → Schnuppertag → Angebot\n"
    )
    assert [name for name, _ in (imported.stages or [])] == [
        "Applied",
        "Kennenlernen",
        "Fachinterview",
        "Schnuppertag",
        "Angebot",
        "Hired",
    ]
