"""What a person who sees only some postings sees (`Principal.postings`): each posting-bound
type's rows are narrowed to those postings, by the posting they belong to, or through the
application (or applicant) they hang from. Types register these as their `Entity.hidden`, so
both read paths apply them wherever they apply the company check; a key or an unnarrowed
person is never narrowed.

The tables are named here, not imported, so this kernel module depends on no domain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, any_, bindparam, column, exists, or_, select, table
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.expression import TableClause

from service.auth.scopes import Principal

Hidden = Callable[[Principal], ColumnElement[bool] | None]

_APPLICATIONS = table("applications", column("id"), column("company_id"), column("posting_id"), column("applicant_id"))
_INTERVIEWS = table("interviews", column("id"), column("company_id"), column("application_id"))
_OFFERS = table("offers", column("id"), column("company_id"), column("application_id"))


def _postings(principal: Principal) -> Any:
    """The person's postings as one bigint[] parameter (unique: a statement may hold several)."""
    assert principal.postings is not None
    return bindparam("postings", list(principal.postings), type_=ARRAY(BigInteger), unique=True)


def _company(principal: Principal) -> Any:
    """The person's company (a narrowed principal is a person: one company), as a parameter, so
    the rows looked up to narrow are that company's alone, as the statement's own are."""
    [company] = principal.company_ids
    return bindparam("narrowed_company", company, type_=BigInteger, unique=True)


def by_posting(posting_id: Any) -> Hidden:
    """Rows of a posting (the posting itself: its `id`)."""

    def hidden(principal: Principal) -> ColumnElement[bool] | None:
        return None if principal.postings is None else posting_id == any_(_postings(principal))

    return hidden


def _an_application(value: Any, key: str = "id", via: TableClause | None = None) -> Hidden:
    """Rows seen when an application of the person's postings matches: `applications.<key>`
    equals `value`, or, `via` a table with an `application_id`, that table's `id` does."""

    def hidden(principal: Principal) -> ColumnElement[bool] | None:
        if principal.postings is None:
            return None
        apps = _APPLICATIONS
        company = _company(principal)
        source = (
            apps
            if via is None
            else via.join(apps, and_(apps.c.company_id == via.c.company_id, apps.c.id == via.c.application_id))
        )
        match = (apps.c[key] if via is None else via.c.id) == value
        within = apps.c.company_id == company if via is None else via.c.company_id == company
        return exists(
            select(apps.c.id).select_from(source).where(within, match, apps.c.posting_id == any_(_postings(principal)))
        )

    return hidden


def by_application(application_id: Any) -> Hidden:
    """Rows about an application: seen when its posting is."""
    return _an_application(application_id)


def by_applicant(applicant_id: Any) -> Hidden:
    """Rows about an applicant: seen when one of their applications is."""
    return _an_application(applicant_id, key="applicant_id")


def by_interview(interview_id: Any) -> Hidden:
    """Rows about an interview: seen when its application is."""
    return _an_application(interview_id, via=_INTERVIEWS)


def by_offer(offer_id: Any) -> Hidden:
    """Rows about an offer: seen when its application is."""
    return _an_application(offer_id, via=_OFFERS)


def own_scorecards(*people: Any) -> Hidden:
    """An interviewer's own scorecards only (`own_scorecards_only`): written by them or about
    their interview."""

    def hidden(principal: Principal) -> ColumnElement[bool] | None:
        if not principal.own_scorecards_only or principal.user_id is None:
            return None
        return or_(*(person == principal.user_id for person in people))

    return hidden


def all_of(*rules: Hidden) -> Hidden:
    """Every rule's predicate at once (None when none applies)."""

    def hidden(principal: Principal) -> ColumnElement[bool] | None:
        found = [clause for rule in rules if (clause := rule(principal)) is not None]
        if not found:
            return None
        return found[0] if len(found) == 1 else and_(*found)

    return hidden
