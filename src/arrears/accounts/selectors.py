"""Row-level visibility. Every list and detail starts here, never from `Model.objects.all()`.

A collector or team lead sees the portfolios of the lenders their team works (their cases: `cases.selectors`);
a user of an outside agency only the loans of the cases placed with it; roles with `view_all_portfolios` see
everything; a user without a team or agency sees nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q

from arrears.accounts.models import User
from arrears.accounts.roles import VIEW_ALL_PORTFOLIOS, can

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from arrears.portfolio.models import Borrower, Loan


def visible_loans(user: User | AnonymousUser) -> QuerySet[Loan]:
    from arrears.portfolio.models import Loan

    loans = Loan.objects.all()
    if isinstance(user, User) and user.agency_id is not None:  # before the role: an outside firm's lawyer too
        return loans.filter(placed_with_agency(user.agency_id))
    if can(user, VIEW_ALL_PORTFOLIOS):
        return loans
    if not user.is_authenticated or not isinstance(user, User) or user.team is None:
        return loans.none()
    if not user.team.lenders:
        return loans
    return loans.filter(lender__in=user.team.lenders)


def placed_with_agency(agency_id: int) -> Q:
    """Loans of the cases placed with an outside agency, while placed (a placed case is open and carries its
    agency); an inactive agency sees nothing."""
    from arrears.cases.models import Case

    placed = Case.objects.filter(
        placed_with_id=agency_id, placed_with__active=True, borrower_id=OuterRef("borrower_id"),
        lender=OuterRef("lender"),
    ).exclude(status="closed")  # fmt: skip
    return Q(Exists(placed))


def visible_borrowers(user: User | AnonymousUser) -> QuerySet[Borrower]:
    from arrears.portfolio.models import Borrower

    if can(user, VIEW_ALL_PORTFOLIOS) and not (isinstance(user, User) and user.agency_id is not None):
        return Borrower.objects.all()
    return Borrower.objects.filter(pk__in=visible_loans(user).values("borrower_id"))
