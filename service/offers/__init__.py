"""Offers: what an applicant is offered, version by version, with its approvals."""
