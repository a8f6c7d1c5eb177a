"""The title, company, salary and apply URL of postings as job boards and companies write them:
in other languages, with the company's line or a banner first, with pay in local number formats,
and the cases those rules must leave alone. Pure: no database."""

from __future__ import annotations

import pytest

from service.postings.importing.imported import ImportedPosting, ImportWarningCode
from service.postings.importing.reader import parse_posting

W = ImportWarningCode


def ranges(imported: ImportedPosting) -> list[tuple[str, str, float | None, float | None]]:
    return [(s.currency, s.period.value, s.min, s.max) for s in imported.salary_ranges]


def not_stated(imported: ImportedPosting) -> set[str]:
    return {w.field or "" for w in imported.warnings if w.code is W.NOT_STATED}


# --- salary: periods, number formats and pay words in other languages ---------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Gehalt: 52.000 € – 61.000 € brutto pro Jahr", ("EUR", "YEAR", 52000, 61000)),
        ("Vergütung: 3.200 € brutto monatlich", ("EUR", "MONTH", 3200, 3200)),
        ("Stundenlohn: 14,50 €", ("EUR", "HOUR", 14.5, 14.5)),
        ("Salaire : 42 000 € à 48 000 € brut par an", ("EUR", "YEAR", 42000, 48000)),
        ("Rémunération : 2 300 € brut par mois", ("EUR", "MONTH", 2300, 2300)),
        ("Salario: 28.000 - 34.000 euros brutos anuales", ("EUR", "YEAR", 28000, 34000)),
        ("Sueldo: 1.900 € al mes", ("EUR", "MONTH", 1900, 1900)),
        ("Salário: R$ 6.500,00 a R$ 7.200,00 por mês", ("BRL", "MONTH", 6500, 7200)),
        ("RAL: 36.000 € – 40.000 €", ("EUR", "YEAR", 36000, 40000)),
        ("Salaris: € 3.400 – € 4.100 per maand", ("EUR", "MONTH", 3400, 4100)),
        ("Lön: 38 000 SEK per månad", ("SEK", "MONTH", 38000, 38000)),
        ("Salary: CHF 95'000 – 110'000 per year", ("CHF", "YEAR", 95000, 110000)),
        ("CTC: ₹9,50,000 – ₹14,00,000 per annum", ("INR", "YEAR", 950000, 1400000)),
        ("Gehalt: 60k € pro Jahr", ("EUR", "YEAR", 60000, 60000)),
    ],
    ids=[
        "de-year",
        "de-month",
        "de-hour",
        "fr-year",
        "fr-month",
        "es-year-euros",
        "es-month",
        "pt-month-reais",
        "it-ral",
        "nl-month",
        "sv-month",
        "swiss-apostrophes",
        "indian-lakhs",
        "k-and-symbol-after",
    ],
)
def test_a_salary_line_in_any_of_the_usual_languages_and_formats_is_read(
    line: str, expected: tuple[str, str, float, float]
) -> None:
    imported = parse_posting(f"Data Analyst\n\nWe analyse data for shops.\n\n{line}\n")
    assert ranges(imported) == [expected]
    assert "salaryRanges" not in not_stated(imported)


def test_a_bonus_named_after_the_salary_does_not_hide_it() -> None:
    imported = parse_posting(
        "Product Designer\n\nSalary and benefits\n£62,000 – £70,000 per annum, plus an annual bonus of up to 8%.\n"
    )
    assert ranges(imported) == [("GBP", "YEAR", 62000, 70000)]


def test_a_budget_or_a_bonus_is_still_no_salary() -> None:
    imported = parse_posting(
        "Backend Engineer\n\nWhat we offer\n- A €1,000 learning budget per year\n- An annual bonus of €5,000\n"
    )
    assert imported.salary_ranges == []


def test_an_interns_stipend_or_allowance_is_their_pay_but_a_learning_stipend_is_not() -> None:
    intern = parse_posting(
        "Marketing Intern\n\nStipend: ₹25,000 per month\n\nInternship allowance: €900 gross per month\n"
    )
    assert ranges(intern) == [("INR", "MONTH", 25000, 25000), ("EUR", "MONTH", 900, 900)]
    perk = parse_posting("Backend Engineer\n\nPerks\n- A learning stipend of $1,500 per year\n")
    assert perk.salary_ranges == []


def test_a_heading_that_is_the_salary_is_read() -> None:
    imported = parse_posting("# Android Engineer\n\n#### US$140,000 - US$165,000 a year\n\nBase salary range.\n")
    assert ranges(imported) == [("USD", "YEAR", 140000, 165000)]


def test_a_bare_dollar_is_the_currency_of_the_jobs_country() -> None:
    imported = parse_posting("Warehouse Associate\n\nLocation: Halifax, NS\nPay: $18.00–$19.50 per hour\n")
    assert ranges(imported) == [("CAD", "HOUR", 18.0, 19.5)]
    assert any("read as CAD" in w.message for w in imported.warnings)


def test_a_bare_dollar_in_the_us_stays_usd() -> None:
    imported = parse_posting("Warehouse Associate\n\nLocation: Austin, TX, USA\nPay: $18.00–$19.50 per hour\n")
    assert ranges(imported) == [("USD", "HOUR", 18.0, 19.5)]


def test_words_that_look_like_a_period_or_a_currency_are_not_read_as_one() -> None:
    # `an` is English's article, not French's year; `3 real projects` names no Brazilian reais.
    imported = parse_posting("Backend Engineer\n\nSalary: €45 an\nYou will ship 3 real projects a year.\n")
    assert all(s.period.value != "YEAR" or s.min != 45 for s in imported.salary_ranges)
    assert all(s.currency != "BRL" for s in imported.salary_ranges)


# --- apply URL ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "[Jetzt bewerben](https://jobs.example.de/stellen/17)",
        "Postuler : https://jobs.example.fr/offres/17",
        "👉 Inscríbete aquí: https://jobs.example.es/empleo/17",
        "Candidate-se pelo link: https://jobs.example.com.br/vagas/17",
        "Solliciteer via https://jobs.example.nl/vacatures/17",
    ],
    ids=["de", "fr", "es", "pt", "nl"],
)
def test_an_apply_link_in_another_language_is_the_apply_url(line: str) -> None:
    imported = parse_posting(f"Data Analyst\n\nWe analyse data for shops.\n\n{line}\n")
    assert imported.apply_url is not None and imported.apply_url.endswith("/17")
    assert "applyUrl" not in not_stated(imported)


def test_a_footer_link_to_the_tracking_system_is_not_where_to_apply() -> None:
    page = (
        "<html><head><title>Job Application for Data Analyst at Acme</title>"
        '<link rel="canonical" href="https://boards.example-ats.io/acme/jobs/42"></head><body>'
        "<h1>Data Analyst</h1><p>Acme is a shop for bikes, and we want to know our customers better. "
        "You will build dashboards, run experiments and explain them to the whole company every week.</p>"
        '<a href="#app">Apply for this Job</a><h2>Apply for this Job</h2>'
        '<form id="application_form" action="https://boards.example-ats.io/acme/jobs/42" method="post"></form>'
        '<p>Powered by <a href="https://www.greenhouse.io/">greenhouse</a> | '
        '<a href="https://www.greenhouse.io/privacy-policy">Privacy Policy</a></p></body></html>'
    )
    imported = parse_posting(page)
    assert imported.apply_url == "https://boards.example-ats.io/acme/jobs/42"


def test_an_email_to_apply_is_said_without_calling_the_url_not_stated() -> None:
    imported = parse_posting("Barista\n\nSend your CV to jobs@cafe.example and we'll reply within a week.\n")
    assert imported.apply_url is None
    assert "applyUrl" not in not_stated(imported)
    assert all("jobs@cafe.example" not in w.message for w in imported.warnings)


# --- title and company --------------------------------------------------------------------------


def test_a_banner_before_a_position_line_is_the_company_not_the_title() -> None:
    imported = parse_posting(
        "NORTHWIND MOTORS LIMITED | CAREERS\n\nPosition: Test Engineer – Battery Packs\nLocation: Pune\n\n"
        "About Northwind Motors\nNorthwind Motors Limited builds electric scooters.\n"
    )
    assert imported.title == "Test Engineer – Battery Packs"
    assert imported.company_name is not None and imported.company_name.lower() == "northwind motors limited"


def test_a_hiring_announcement_is_not_the_title() -> None:
    imported = parse_posting("# We're hiring! 🎉\n\n**Acme** is hiring.\n\n## Platform Engineer\n\nAcme is a bank.\n")
    assert imported.title == "Platform Engineer"
    inline = parse_posting("We're hiring: Staff Engineer\n\nAcme is a bank.\n")
    assert inline.title == "Staff Engineer"


def test_a_breadcrumb_leads_to_the_title() -> None:
    imported = parse_posting("Careers > Engineering > Senior Backend Engineer\n\nAcme builds things.\n")
    assert imported.title == "Senior Backend Engineer"


def test_the_company_line_first_then_the_title() -> None:
    imported = parse_posting("Acme Robotics GmbH\n\nSenior Data Engineer\n\nWe build robots.\n")
    assert (imported.title, imported.company_name) == ("Senior Data Engineer", "Acme Robotics GmbH")


def test_a_specialisation_after_a_dash_stays_in_the_title() -> None:
    imported = parse_posting(
        "Embedded Engineer - Motor Control\n\nKitefin Robotics K.K.\n\nAbout us\n"
        "Kitefin Robotics designs robots. You will work on motor control firmware.\n"
    )
    assert imported.title == "Embedded Engineer - Motor Control"
    assert imported.company_name == "Kitefin Robotics K.K."


def test_the_company_piece_of_the_title_is_split_off() -> None:
    imported = parse_posting("☕ Barista (Part-Time) — Bean Street, Fitzroy\n\nBean Street is a small café.\n")
    assert imported.title == "Barista"
    assert imported.company_name == "Bean Street"


@pytest.mark.parametrize(
    ("text", "company"),
    [
        (
            "Pflegefachkraft (m/w/d)\n\nÜber Klinikum Nordheide\nDas Klinikum Nordheide ist ein Krankenhaus.\n",
            "Klinikum Nordheide",
        ),
        (
            "Développeur Backend\n\nÀ propos de Lumière Logiciels\nLumière Logiciels développe des outils.\n",
            "Lumière Logiciels",
        ),
        ("# Desarrollador Backend\n\n**Nube Clara S.L.**\n\nTrabajamos en remoto.\n", "Nube Clara S.L."),
        (
            "Professor de Inglês\n\nEscola Aurora Azul\n\nA Escola Aurora Azul atende 400 alunos.\n",
            "Escola Aurora Azul",
        ),
    ],
    ids=["de-about", "fr-about", "es-legal-form", "pt-line-under-title"],
)
def test_the_company_is_read_in_other_languages(text: str, company: str) -> None:
    imported = parse_posting(text)
    assert imported.company_name == company
    assert "company" not in not_stated(imported)


def test_the_page_title_names_the_company_when_the_prose_does_not() -> None:
    page = (
        "<html><head><title>Research Software Engineer - Glenmoor University Vacancies</title></head><body>"
        "<h1>Research Software Engineer</h1><p>We are looking for a research software engineer to help "
        "our climate group turn its ocean model into tested, documented open-source software.</p></body></html>"
    )
    imported = parse_posting(page)
    assert imported.company_name == "Glenmoor University"
    assert "company" not in not_stated(imported)


def test_a_page_title_on_a_job_board_names_no_company() -> None:
    page = (
        "<html><head><title>Data Engineer - Fernhill - Leeds | Indeed.com</title></head><body>"
        "<h1>Data Engineer</h1><p>You will build pipelines for our analysts and keep them running.</p>"
        "</body></html>"
    )
    assert parse_posting(page).company_name is None


def test_a_structured_title_loses_its_asides() -> None:
    page = (
        '<html><head><script type="application/ld+json">{"@context": "https://schema.org/", '
        '"@type": "JobPosting", "title": "Front Desk Agent (Part-time, 20h/week)", '
        '"hiringOrganization": {"@type": "Organization", "name": "Seabright Hotels"}}</script></head><body>'
        "<h1>Front Desk Agent (Part-time, 20h/week)</h1><p>Seabright Hotels runs three hotels by the sea.</p>"
        "</body></html>"
    )
    assert parse_posting(page).title == "Front Desk Agent"


def test_a_sign_off_and_an_email_domain_name_the_company() -> None:
    imported = parse_posting(
        "Line Cook\n\nWe need a line cook for weekend shifts. You will prep and cook.\n\n"
        "Send your CV to jobs@ferngrove-kitchen.example.\n\n— The Ferngrove Kitchen team\n"
    )
    assert imported.company_name == "Ferngrove Kitchen"
    assert not [w for w in imported.warnings if w.field == "company"]


def test_a_lowercase_sign_off_names_no_company() -> None:
    imported = parse_posting("Line Cook\n\nWe need a line cook for weekend shifts.\n\nSee you soon, the whole team\n")
    assert imported.company_name is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Lön: 34 000 – 38 000 kr per månad", ("SEK", "MONTH", 34000, 38000)),
        ("Lønn: 620 000 kr per år", ("NOK", "YEAR", 620000, 620000)),
        ("Løn: 41.000 kr. om måneden", ("DKK", "MONTH", 41000, 41000)),
    ],
    ids=["sv", "no", "da"],
)
def test_a_crown_is_read_from_the_lines_language(line: str, expected: tuple[str, str, float, float]) -> None:
    assert ranges(parse_posting(f"Data Analyst\n\nWe analyse data for shops.\n\n{line}\n")) == [expected]


def test_a_crown_whose_language_is_unclear_is_not_read() -> None:
    assert parse_posting("Data Analyst\n\nSalary: 40 000 kr\n").salary_ranges == []


@pytest.mark.parametrize(
    ("first_line", "title"),
    [
        ("Senior Engineer at Acme (Remote)", "Senior Engineer"),
        ("[Remote] Staff Engineer", "Staff Engineer"),
        ("Data Engineer - Acme Careers", "Data Engineer"),
        ("Job Application for Data Engineer at Acme", "Data Engineer"),
    ],
    ids=["at-before-an-aside", "leading-aside", "careers-piece", "application-for"],
)
def test_what_a_page_or_board_adds_around_the_title_is_left_out(first_line: str, title: str) -> None:
    imported = parse_posting(f"{first_line}\n\nAcme builds tools for bakeries.\n")
    assert (imported.title, imported.company_name) == (title, "Acme")


def test_an_aside_before_at_still_gives_the_employment_type() -> None:
    imported = parse_posting("Data Engineer (Contract, 6 months) at Acme\n\nAcme builds tools for bakeries.\n")
    assert (
        imported.title,
        imported.company_name,
        imported.employment_type.value if imported.employment_type else None,
    ) == (
        "Data Engineer",
        "Acme",
        "CONTRACT",
    )


@pytest.mark.parametrize(
    "title",
    [
        "Backend-Entwickler (m/w/d)",
        "Softwareentwicklerin",
        "Pflegefachkraft Intensivstation",
        "Développeuse Python",
        "Desarrollador Backend",
        "Engenheira de Dados",
        "Sviluppatore Java",
        "Ontwikkelaar .NET",
        "Utvecklare inom backend",
    ],
)
def test_a_title_in_another_language_names_a_job(title: str) -> None:
    """A title naming its job in another language is taken without a warning that it names none."""
    imported = parse_posting(f"{title}\n\nMuster GmbH\n\n## Aufgaben\n\n- Python\n")
    assert imported.title is not None and imported.title.startswith(title.split(" (")[0])
    assert not [w for w in imported.warnings if w.field == "title"]
