"""The demo data set: two companies, their postings and pipelines, and pools for applicants.

The two headline postings restate real listings (Postmark's "Senior Backend Engineer" and
Postscript's "Backend Engineer, Subscriber Data Platform") in our own words. Every other
posting, person, phone number and link is invented: emails use the reserved `example.*`
domains and phone numbers come from ranges set aside for fiction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from service.applications.models import ApplicationStatus
from service.catalogues.models import SourceType
from service.customfields.models import CustomFieldObject, CustomFieldType
from service.pipeline.models import StageKind
from service.postings.models import EmploymentType, PostingStatus, SalaryPeriod, SalaryRangeSpec, Workplace
from service.reasons.models import RejectionType

ACTIVE = ApplicationStatus.ACTIVE
REJECTED = ApplicationStatus.REJECTED
WITHDRAWN = ApplicationStatus.WITHDRAWN
HIRED = ApplicationStatus.HIRED


@dataclass(frozen=True, slots=True)
class CompanySeed:
    """A demo company and the people who act on its applications."""

    slug: str
    name: str
    website: str
    description: str
    recruiters: tuple[str, ...]
    """Actors for the early stages (applied, screens, assessments)."""
    hiring_managers: tuple[str, ...]
    """Actors for interviews, offers and hires."""
    admin: str
    """The company's Hiregraph administrator (the app's development sign-in offers every role)."""
    interviewers: tuple[str, ...]
    """People who interview on the company's postings, and see no offer."""
    department: tuple[str, str]
    """The department its postings belong to, under its top department: (top, department)."""
    office: tuple[str, str | None]
    """The office its postings are at: (name, location)."""
    north_america_only: bool = False
    """Its postings hire in North America only, so its applicants live there."""


@dataclass(frozen=True, slots=True)
class PostingSeed:
    """A demo posting, its pipeline, its timeline and the applications it receives.

    `applications` lists, per application, the furthest stage it reaches (by name) and how it
    ends: ACTIVE stays there, REJECTED/WITHDRAWN end there, HIRED is hired from there.
    """

    company: str
    title: str
    created_days_ago: int
    published_days_ago: int | None = None
    """None keeps the posting a DRAFT."""
    closed_days_ago: int | None = None
    """Set to close the posting, after its applications came in."""
    employment_type: EmploymentType = EmploymentType.FULL_TIME
    workplace: Workplace | None = None
    """None keeps the service default."""
    locations: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    salary_ranges: tuple[SalaryRangeSpec, ...] = ()
    description: str | None = None
    about: str | None = None
    responsibilities: str | None = None
    requirements: str | None = None
    nice_to_have: str | None = None
    benefits: str | None = None
    interview_process: str | None = None
    apply_url: str | None = None
    stages: tuple[tuple[str, StageKind], ...] | None = None
    """None uses the default pipeline."""
    tags: tuple[str, ...] = ()
    """Skills an applicant to this posting may be tagged with."""
    applications: tuple[tuple[str, ApplicationStatus], ...] = field(default=())

    @property
    def status(self) -> PostingStatus:
        if self.published_days_ago is None:
            return PostingStatus.DRAFT
        if self.closed_days_ago is not None:
            return PostingStatus.CLOSED
        return PostingStatus.OPEN

    def fields(self) -> dict[str, Any]:
        """The `fields` argument of `postings.service.create_posting`."""
        values: dict[str, Any] = {
            "title": self.title,
            "employment_type": self.employment_type,
            "locations": list(self.locations),
            "regions": list(self.regions),
            "salary_ranges": list(self.salary_ranges),
            "description": self.description,
            "about": self.about,
            "responsibilities": self.responsibilities,
            "requirements": self.requirements,
            "nice_to_have": self.nice_to_have,
            "benefits": self.benefits,
            "interview_process": self.interview_process,
            "apply_url": self.apply_url,
        }
        if self.workplace is not None:
            values["workplace"] = self.workplace
        return values


@dataclass(frozen=True, slots=True)
class Place:
    """Where an applicant lives; `phone` formats a number from a range reserved for fiction."""

    name: str
    north_america: bool
    phone: str | None = None


POSTMARK = CompanySeed(
    slug="postmark",
    name="Postmark",
    website="https://postmarkapp.com",
    description=(
        "Postmark runs email infrastructure in the cloud for software teams. Applications hand it "
        "their transactional mail (password resets, receipts, notifications) through a REST API or "
        "plain SMTP, and it also receives inbound mail for them. Its focus is getting those messages "
        "delivered quickly and reliably."
    ),
    recruiters=("Dana Whitfield", "Marcus Lindqvist"),
    hiring_managers=("Priya Raman", "Tomás Ferreira"),
    admin="Grace Mbeki",
    interviewers=("Lena Hoffmann", "Arjun Mehta"),
    department=("Engineering", "Backend"),
    office=("Remote", "Anywhere, working in the team's time zones"),
)

POSTSCRIPT = CompanySeed(
    slug="postscript",
    name="Postscript",
    website="https://postscript.io",
    description=(
        "Postscript makes text messaging a marketing channel for online stores. Ecommerce brands use "
        "it to grow lists of SMS subscribers, send campaigns and automated messages, and bring "
        "shoppers back to buy again."
    ),
    recruiters=("Hannah Osei", "Kevin Brandt"),
    hiring_managers=("Rachel Kim", "Jordan Alvarez"),
    admin="Owen Fitzgerald",
    interviewers=("Mei Tanaka", "Samuel Adeyemi"),
    department=("Engineering", "Data Platform"),
    office=("Remote, North America", "United States and Canada"),
    north_america_only=True,
)

COMPANIES: tuple[CompanySeed, ...] = (POSTMARK, POSTSCRIPT)

_POSTMARK_ABOUT = (
    "Postmark is a cloud email service: businesses use it to send and receive transactional email "
    "from their own applications, through a full-featured REST API or over standard SMTP."
)

_POSTSCRIPT_ABOUT = (
    "Postscript brings SMS marketing to ecommerce. Stores use it as a new channel to reach, keep and "
    "convert their customers, and brands see strong returns from it. The company is backed by "
    "Greylock, Y Combinator and other investors, and it is growing quickly.\n\n"
    "Postscript describes itself as an equal-opportunity employer where everyone is welcome."
)

POSTINGS: tuple[PostingSeed, ...] = (
    PostingSeed(
        company="postmark",
        title="Senior Backend Engineer",
        created_days_ago=66,
        published_days_ago=63,
        employment_type=EmploymentType.FULL_TIME,
        description=(
            "Postmark is looking for a senior backend engineer who will mostly write C# to improve "
            "its API and backend services, and who will run and scale the infrastructure underneath "
            "them: MySQL, RabbitMQ and Elasticsearch."
        ),
        about=_POSTMARK_ABOUT,
        responsibilities=(
            "Most of the work is in C#: making the API and backend services better, and using, "
            "improving and scaling out the infrastructure they run on (today MySQL, RabbitMQ and "
            "Elasticsearch).\n\n"
            "- Own your tasks: split them into small steps that can be deployed safely and stay "
            "backward compatible.\n"
            "- Explain your technical decisions to the other engineers, and timelines and customer "
            "impact to the product manager.\n"
            "- Share responsibility for production: take part in the on-call rotation and help stop "
            "spammers from abusing the service.\n"
            "- Scale out infrastructure, tune code and queries, and make the system more reliable.\n"
            "- Use the team's wide technical autonomy well: look at where the product stands and where "
            "it is heading, and ship the best solution the time allows, held to a high bar for "
            "reliability, maintainability and usability.\n\n"
            "Things you might work on:\n"
            "- a brand-new feature, such as email templates;\n"
            "- more logging and metrics, to see better into the system;\n"
            "- setting up and configuring new servers for extra load;\n"
            "- finding the index that makes a slow query fast;\n"
            "- internal tools and interfaces that make colleagues' days easier;\n"
            "- helping a customer work out why their email is not going out;\n"
            "- handling production outages."
        ),
        requirements=(
            "- You have built HTTP APIs.\n"
            "- You write C# and know your way around the .NET ecosystem.\n"
            "- You have built and scaled infrastructure.\n"
            "- You can run and maintain servers on both Windows and Linux.\n"
            "- You know when and how to use a message queue such as RabbitMQ.\n"
            "- You can optimise and look after a SQL database such as MySQL.\n"
            "- You can turn high-level business goals and scope into a fitting technical solution."
        ),
        nice_to_have=(
            "- You have built and supported applications with thousands of active users.\n"
            "- You follow the SOLID design principles.\n"
            "- You have built web services along Twelve-Factor lines.\n"
            "- You are comfortable with other web technologies, such as JavaScript or Rails.\n"
            "- You have hands-on experience operating Linux servers.\n"
            "- You know containers (Docker), configuration management (Ansible) and provisioning "
            "tools (Terraform).\n"
            "- You can work with a document or NoSQL store such as Elasticsearch.\n"
            "- You are familiar with email topics like SMTP, SPF, DKIM and DMARC."
        ),
        interview_process=(
            "1. A few short written questions about your technical skills, which also show how you "
            "write. There is no on-the-spot whiteboard coding.\n"
            "2. A small C# coding project, to see your C# and how you break a larger task down.\n"
            "3. A technical interview with engineers from the team: you walk through your project and "
            "your experience, and they tell you what the day-to-day work looks like.\n"
            "4. An interview with the CEO and the CTO."
        ),
        stages=(
            ("Applied", StageKind.APPLIED),
            ("Written questions", StageKind.ASSESSMENT),
            ("C# coding project", StageKind.ASSESSMENT),
            ("Technical interview with the team", StageKind.INTERVIEW),
            ("Interview with the CEO and CTO", StageKind.INTERVIEW),
            ("Offer", StageKind.OFFER),
            ("Hired", StageKind.HIRED),
        ),
        tags=("csharp", "dotnet", "mysql", "rabbitmq", "elasticsearch", "on-call", "http-apis", "linux"),
        applications=(
            ("Applied", ACTIVE),
            ("Applied", ACTIVE),
            ("Applied", REJECTED),
            ("Written questions", ACTIVE),
            ("Written questions", REJECTED),
            ("C# coding project", ACTIVE),
            ("C# coding project", REJECTED),
            ("C# coding project", WITHDRAWN),
            ("Technical interview with the team", ACTIVE),
            ("Technical interview with the team", REJECTED),
            ("Interview with the CEO and CTO", ACTIVE),
            ("Offer", ACTIVE),
        ),
    ),
    PostingSeed(
        company="postmark",
        title="Email Deliverability Consultant",
        created_days_ago=45,
        published_days_ago=42,
        employment_type=EmploymentType.CONTRACT,
        workplace=Workplace.REMOTE,
        regions=("Europe", "North America"),
        salary_ranges=(SalaryRangeSpec(currency="USD", period=SalaryPeriod.HOUR, min=70, max=95),),
        description=(
            "A six-month contract helping Postmark customers with sender reputation, authentication "
            "and inbox placement."
        ),
        about=_POSTMARK_ABOUT,
        responsibilities=(
            "- Review customers' sending setups and explain what hurts their deliverability.\n"
            "- Write guides on SPF, DKIM, DMARC and list hygiene.\n"
            "- Work with support and engineering on reputation incidents."
        ),
        requirements=(
            "- Several years of hands-on email deliverability work.\n"
            "- Fluent with SPF, DKIM, DMARC and mailbox-provider feedback loops.\n"
            "- Clear written English."
        ),
        stages=(
            ("Applied", StageKind.APPLIED),
            ("Intro call", StageKind.SCREEN),
            ("Deliverability case review", StageKind.ASSESSMENT),
            ("Offer", StageKind.OFFER),
            ("Hired", StageKind.HIRED),
        ),
        tags=("deliverability", "dmarc", "dkim", "spf", "consulting", "technical-writing"),
        applications=(
            ("Applied", ACTIVE),
            ("Applied", ACTIVE),
            ("Applied", REJECTED),
            ("Intro call", ACTIVE),
            ("Intro call", REJECTED),
            ("Deliverability case review", ACTIVE),
        ),
    ),
    PostingSeed(
        company="postmark",
        title="Support Engineer (part-time)",
        created_days_ago=64,
        published_days_ago=61,
        closed_days_ago=8,
        employment_type=EmploymentType.PART_TIME,
        workplace=Workplace.REMOTE,
        regions=("Europe",),
        description="Twenty hours a week answering technical questions from developers who send email with Postmark.",
        about=_POSTMARK_ABOUT,
        responsibilities=(
            "- Answer customer questions about the API, SMTP and webhooks.\n"
            "- Reproduce bugs and hand engineers clear reports.\n"
            "- Keep the help articles current."
        ),
        requirements=(
            "- Comfortable reading API requests, logs and email headers.\n"
            "- Patient, precise writing.\n"
            "- Available twenty hours a week in European working hours."
        ),
        tags=("customer-support", "smtp", "webhooks", "technical-writing", "part-time"),
        applications=(
            ("Offer", HIRED),
            ("Interview", REJECTED),
            ("Phone screen", REJECTED),
            ("Applied", REJECTED),
            ("Applied", REJECTED),
        ),
    ),
    PostingSeed(
        company="postmark",
        title="Developer Advocate",
        created_days_ago=4,
        workplace=Workplace.HYBRID,
        locations=("Chicago, IL, United States",),
        description="Help developers get the most out of Postmark through talks, guides and sample code.",
        about=_POSTMARK_ABOUT,
        responsibilities=(
            "- Write tutorials and sample apps in several languages.\n"
            "- Speak at meetups and conferences.\n"
            "- Bring what developers tell you back to the product team."
        ),
        requirements=(
            "- Experience building web applications.\n"
            "- You enjoy teaching, in writing and on stage.\n"
            "- Happy to travel to a few events each quarter."
        ),
        tags=("devrel", "public-speaking", "technical-writing"),
    ),
    PostingSeed(
        company="postscript",
        title="Backend Engineer, Subscriber Data Platform",
        created_days_ago=60,
        published_days_ago=58,
        employment_type=EmploymentType.FULL_TIME,
        workplace=Workplace.REMOTE,
        regions=("North America",),
        salary_ranges=(
            SalaryRangeSpec(currency="USD", period=SalaryPeriod.YEAR, min=65000, max=95000, label="listing header"),
            SalaryRangeSpec(currency="USD", period=SalaryPeriod.YEAR, min=143000, max=167000, label="benefits section"),
        ),
        description=(
            "Postscript is hiring a backend engineer to deepen its Subscriber Data Platform: a Python "
            "(Flask) API on PostgreSQL hosted in AWS, alongside a data warehouse and ETL tooling. The "
            "role is fully remote within North America."
        ),
        about=_POSTSCRIPT_ABOUT,
        responsibilities=(
            "Engineers at Postscript are individual contributors who also lead: they mentor, make "
            "decisions and help their team weigh technical constraints against business priorities so "
            "customers keep getting value. The engineering team is growing (this is one of several "
            "open roles), so you can also help hire and shape the architecture and processes.\n\n"
            "- Build new features for the Subscriber Data Platform and extend what already exists.\n"
            "- Build, improve and maintain the platform's many third-party integrations.\n"
            "- Work with the product engineering teams to ship APIs that unlock new product features.\n"
            "- Make the technical calls needed to get work done, weighing customer value, technical "
            "constraints and business priorities.\n"
            "- Work in a cross-functional team of engineers, designers and product managers on a "
            "polished, world-class product.\n"
            "- Own your work and find creative solutions."
        ),
        requirements=(
            "- Professional experience as a backend-focused software engineer.\n"
            "- Python experience; Flask and SQLAlchemy are a plus.\n"
            "- Experience building applications on cloud services, preferably AWS.\n"
            "- Relational databases: strong SQL and data modelling (PostgreSQL is a plus).\n"
            "- You can turn complex technical ideas into designs, and you are at home with design, "
            "architecture, implementation, deployment and support across the stack.\n"
            "- A broad understanding of the software development lifecycle, which you use to set good "
            "practices for your team and improve every part of it.\n"
            "- Excellent spoken and written communication: you turn complex technical requirements "
            "into clear direction and documentation."
        ),
        nice_to_have=(
            "- You have worked on a platform team focused on data.\n"
            "- You have used a wide range of AWS services, such as Kinesis, Redshift, S3, SQS and ECS.\n"
            "- You are comfortable outside your strengths and know how to partner with others to get "
            "things done.\n"
            "- You have designed and built data-intensive applications.\n"
            "- You are excited by data problems at high scale.\n"
            "- You care about building easy-to-use APIs for your colleagues.\n"
            "- You enjoy early-stage companies and owning a young, fast-growing codebase."
        ),
        benefits=(
            "- A base salary of USD 143,000 to 167,000 plus significant equity, the same wherever you "
            "live.\n"
            "- A fast-growing startup with plenty of room to make a direct impact and grow your "
            "career.\n"
            "- A fully remote culture: work from home, or from wherever you like.\n"
            "- A team that is passionate about the work and enjoys it.\n"
            "- Competitive pay and the opportunity for equity.\n"
            "- Flexible paid time off.\n"
            "- Health, dental and vision insurance."
        ),
        apply_url="https://www.remotewlb.com/apply/backend-engineer-subscriber-data-platform",
        stages=(
            ("Applied", StageKind.APPLIED),
            ("Recruiter screen", StageKind.SCREEN),
            ("Technical interview", StageKind.INTERVIEW),
            ("Team interviews", StageKind.INTERVIEW),
            ("Offer", StageKind.OFFER),
            ("Hired", StageKind.HIRED),
        ),
        tags=("python", "flask", "sqlalchemy", "postgresql", "aws", "data-platform", "integrations"),
        applications=(
            ("Applied", ACTIVE),
            ("Applied", ACTIVE),
            ("Applied", ACTIVE),
            ("Applied", REJECTED),
            ("Applied", REJECTED),
            ("Recruiter screen", ACTIVE),
            ("Recruiter screen", REJECTED),
            ("Technical interview", ACTIVE),
            ("Technical interview", REJECTED),
            ("Team interviews", ACTIVE),
            ("Offer", ACTIVE),
            ("Offer", HIRED),
        ),
    ),
    PostingSeed(
        company="postscript",
        title="Senior Data Engineer",
        created_days_ago=38,
        published_days_ago=36,
        workplace=Workplace.REMOTE,
        regions=("North America",),
        salary_ranges=(SalaryRangeSpec(currency="USD", period=SalaryPeriod.YEAR, min=160000, max=190000),),
        description="Build the pipelines that turn billions of SMS events into data merchants can act on.",
        about=_POSTSCRIPT_ABOUT,
        responsibilities=(
            "- Design streaming and batch pipelines on Kinesis and Redshift.\n"
            "- Model subscriber and message data for analytics and product features.\n"
            "- Make data quality measurable and visible."
        ),
        requirements=(
            "- Five or more years of data engineering.\n"
            "- Strong Python and SQL.\n"
            "- Experience running pipelines in production on AWS."
        ),
        stages=(
            ("Applied", StageKind.APPLIED),
            ("Recruiter screen", StageKind.SCREEN),
            ("Take-home exercise", StageKind.ASSESSMENT),
            ("Team interviews", StageKind.INTERVIEW),
            ("Offer", StageKind.OFFER),
            ("Hired", StageKind.HIRED),
        ),
        tags=("python", "sql", "redshift", "kinesis", "etl", "data-modeling", "aws"),
        applications=(
            ("Applied", ACTIVE),
            ("Applied", ACTIVE),
            ("Recruiter screen", ACTIVE),
            ("Recruiter screen", REJECTED),
            ("Take-home exercise", ACTIVE),
            ("Take-home exercise", REJECTED),
        ),
    ),
    PostingSeed(
        company="postscript",
        title="Software Engineering Intern",
        created_days_ago=59,
        published_days_ago=57,
        closed_days_ago=12,
        employment_type=EmploymentType.INTERNSHIP,
        workplace=Workplace.REMOTE,
        regions=("United States",),
        salary_ranges=(SalaryRangeSpec(currency="USD", period=SalaryPeriod.HOUR, min=40, max=45),),
        description="A twelve-week summer internship on one of Postscript's product engineering teams.",
        about=_POSTSCRIPT_ABOUT,
        responsibilities=(
            "- Ship a real feature with a mentor's help.\n"
            "- Take part in code review, planning and demos.\n"
            "- Present what you built to the company at the end of the summer."
        ),
        requirements=(
            "- Studying computer science or a related field.\n"
            "- Some experience with Python or JavaScript.\n"
            "- Authorised to work in the United States."
        ),
        tags=("internship", "python", "javascript", "student"),
        applications=(
            ("Offer", ACTIVE),
            ("Interview", REJECTED),
            ("Phone screen", REJECTED),
            ("Applied", REJECTED),
            ("Applied", REJECTED),
        ),
    ),
    PostingSeed(
        company="postscript",
        title="Product Designer, Messaging",
        created_days_ago=3,
        workplace=Workplace.REMOTE,
        regions=("North America",),
        description="Design the tools merchants use to write, schedule and measure their SMS campaigns.",
        about=_POSTSCRIPT_ABOUT,
        requirements=(
            "- A portfolio of shipped product design work.\n"
            "- Comfortable running your own user research.\n"
            "- Experience designing tools for marketers or small businesses."
        ),
        tags=("product-design", "figma", "user-research"),
    ),
)

FIRST_NAMES = (
    "Amara", "Ben", "Carmen", "Daniel", "Elif", "Felipe", "Grace", "Hiroshi", "Ines", "Jamal",
    "Katarzyna", "Liam", "Mei", "Nikhil", "Olivia", "Pedro", "Quinn", "Rosa", "Samuel", "Tendai",
    "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoë", "Aisha", "Björn", "Chloé", "Diego",
    "Emeka", "Freya", "Gabriel", "Hana", "Ivan", "José", "Leila", "Mateo", "Nadia", "Oscar",
)  # fmt: skip

LAST_NAMES = (
    "Adeyemi", "Bauer", "Castillo", "Dubois", "Eriksen", "Fischer", "García", "Haddad", "Ivanova",
    "Jensen", "Kowalski", "Lopez", "Murphy", "Nakamura", "Okonkwo", "Patel", "Quinlan", "Rossi",
    "Schmidt", "Tanaka", "Usman", "Varga", "Walsh", "Xu", "Yilmaz", "Zhang", "Andersson", "Brennan",
    "Chen", "Demir", "Evans", "Ferreira", "Gupta", "Horvath", "Ibrahim", "Kim", "Larsen", "Moreau",
    "Novak", "Reyes",
)  # fmt: skip

EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

PLACES: tuple[Place, ...] = (
    Place("Austin, TX, United States", True, "+1 512 555 01{:02d}"),
    Place("Chicago, IL, United States", True, "+1 312 555 01{:02d}"),
    Place("Denver, CO, United States", True, "+1 720 555 01{:02d}"),
    Place("Portland, OR, United States", True, "+1 503 555 01{:02d}"),
    Place("Atlanta, GA, United States", True, "+1 404 555 01{:02d}"),
    Place("Boston, MA, United States", True, "+1 617 555 01{:02d}"),
    Place("Raleigh, NC, United States", True, "+1 919 555 01{:02d}"),
    Place("Toronto, ON, Canada", True, "+1 416 555 01{:02d}"),
    Place("Vancouver, BC, Canada", True, "+1 604 555 01{:02d}"),
    Place("Mexico City, Mexico", True),
    Place("London, United Kingdom", False, "+44 20 7946 0{:03d}"),
    Place("Manchester, United Kingdom", False, "+44 161 496 0{:03d}"),
    Place("Dublin, Ireland", False),
    Place("Berlin, Germany", False),
    Place("Lisbon, Portugal", False),
    Place("Kraków, Poland", False),
    Place("Amsterdam, Netherlands", False),
)

SOURCES = (
    "LinkedIn",
    "LinkedIn",
    "Careers page",
    "Careers page",
    "Referral",
    "We Work Remotely",
    "Hacker News",
    "Remote WLB",
    "Sourced",
)
"""Where applicants come from; repeats make a source more likely."""

SOURCE_TYPES = {
    "LinkedIn": SourceType.APPLIED,
    "Careers page": SourceType.APPLIED,
    "Referral": SourceType.REFERRAL,
    "We Work Remotely": SourceType.APPLIED,
    "Hacker News": SourceType.APPLIED,
    "Remote WLB": SourceType.APPLIED,
    "Sourced": SourceType.SOURCED,
}
"""Each company's list of sources (every one of `SOURCES`), with how each brings candidates."""

VISA_STATUSES = ("Citizen or resident", "Citizen or resident", "Has a work permit", "Needs sponsorship")
CUSTOM_FIELDS: tuple[tuple[CustomFieldObject, str, str, CustomFieldType, list[str]], ...] = (
    (CustomFieldObject.POSTING, "cost_center", "Cost center", CustomFieldType.TEXT, []),
    (
        CustomFieldObject.APPLICATION,
        "visa_status",
        "Visa status",
        CustomFieldType.SINGLE_SELECT,
        sorted(set(VISA_STATUSES)),
    ),
    (CustomFieldObject.APPLICANT, "notice_period_weeks", "Notice period (weeks)", CustomFieldType.NUMBER, []),
    (CustomFieldObject.OFFER, "relocation_budget", "Relocation budget", CustomFieldType.CURRENCY, []),
)
"""Each company's custom fields: (object type, key, name, value type, options)."""

MOVE_REASONS: dict[StageKind, tuple[str, ...]] = {
    StageKind.APPLIED: (
        "Resume matches the must-haves",
        "Relevant experience at a similar scale",
        "Referral from the team; worth a closer look",
    ),
    StageKind.SCREEN: (
        "Good first conversation; expectations line up",
        "Clear communicator, motivated by the role",
    ),
    StageKind.ASSESSMENT: (
        "Clear, thoughtful work that meets the bar",
        "Well-structured solution with a clear write-up",
        "Strong submission: clean code with tests",
    ),
    StageKind.INTERVIEW: (
        "Unanimous yes from the interviewers",
        "Strong signal across the conversation",
    ),
}
"""Why an application moved on, by the kind of stage it left."""

REJECTION_REASONS: dict[StageKind, tuple[tuple[str, str], ...]] = {
    StageKind.APPLIED: (
        ("Not enough hands-on experience with the core stack", "Lacks skills or experience"),
        ("Based outside the regions we can hire in", "Location or work arrangement"),
        ("Looking for a more senior profile for this role", "Lacks skills or experience"),
    ),
    StageKind.SCREEN: (
        ("Salary expectations well above the range", "Compensation"),
        ("Wants an onsite role; this one is remote", "Location or work arrangement"),
        ("Could not commit to the hours the role needs", "Availability"),
    ),
    StageKind.ASSESSMENT: (
        ("Answers were too brief to judge", "Assessment below the bar"),
        ("The exercise missed several of the stated requirements", "Assessment below the bar"),
        ("Solution worked but had no tests and little structure", "Assessment below the bar"),
    ),
    StageKind.INTERVIEW: (
        ("Went with a candidate with more production on-call experience", "Another candidate was a better fit"),
        ("Struggled to explain trade-offs in their own past designs", "Interview performance"),
        ("Team did not see enough depth in distributed systems", "Interview performance"),
    ),
}
"""Why an application was rejected, by the kind of stage it was rejected at: the recruiter's words,
and the company's reason (`REJECTION_CATALOGUE`) they picked."""

REJECTION_CATALOGUE: dict[str, RejectionType] = {
    "Lacks skills or experience": RejectionType.REJECTED_BY_US,
    "Location or work arrangement": RejectionType.REJECTED_BY_US,
    "Compensation": RejectionType.REJECTED_BY_US,
    "Availability": RejectionType.REJECTED_BY_US,
    "Assessment below the bar": RejectionType.REJECTED_BY_US,
    "Interview performance": RejectionType.REJECTED_BY_US,
    "Another candidate was a better fit": RejectionType.REJECTED_BY_US,
    "Position filled or closed": RejectionType.REJECTED_BY_US,
    "Accepted another offer": RejectionType.WITHDRAWN_BY_CANDIDATE,
    "No longer interested": RejectionType.WITHDRAWN_BY_CANDIDATE,
    "Did not respond": RejectionType.OTHER,
}
"""Each demo company's list of rejection reasons (Greenhouse's defaults, reworded), by who ended it."""

NOTES: dict[StageKind, tuple[str, ...]] = {
    StageKind.SCREEN: (
        "Happy with a fully remote setup; could start within a month.",
        "Salary expectations fit the range; wants to hear more about equity.",
        "Currently interviewing elsewhere too; keep the process moving.",
    ),
    StageKind.ASSESSMENT: (
        "Asked for one more week on the assignment because of a family trip; agreed.",
        "Tidy submission that came with tests; the README explained the trade-offs well.",
        "Sent the assignment back within two days; reviewers assigned.",
    ),
    StageKind.INTERVIEW: (
        "Strong on queues and retries; less hands-on with infrastructure as code.",
        "Great conversation about debugging production incidents; would be a calm on-call partner.",
        "Asked sharp questions about the on-call rotation and release process.",
    ),
    StageKind.OFFER: (
        "Verbal yes; waiting for the signed offer letter.",
        "Negotiating the start date; prefers the first of next month.",
    ),
}
"""Notes a team member might leave, by the kind of the furthest stage reached; each is used once per company."""
