"""The benchmark dataset's scale: how many companies, postings, applicants and applications."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scale:
    companies: int
    postings: int
    applicants: int
    applications: int

    def check(self) -> None:
        c, p, a, n = self.companies, self.postings, self.applicants, self.applications
        if min(c, p, a) < 1 or n < 0:
            raise SystemExit("bench: the scale needs at least one company, posting and applicant")
        if p < c or a < c:
            raise SystemExit(
                "bench: every company needs a posting and an applicant (postings, applicants >= companies)"
            )
        per_company = -(-n // c)
        if per_company > (a // c) * (p // c):
            raise SystemExit(
                f"bench: {n} applications do not fit: each company can have at most "
                f"{(a // c) * (p // c)} distinct applicant x posting pairs"
            )


SMALL = Scale(companies=2, postings=20, applicants=2000, applications=3000)
DEFAULT = Scale(companies=20, postings=200, applicants=40000, applications=60000)
