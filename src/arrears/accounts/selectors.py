"""Row-level visibility. Every list and detail starts here, never from `Model.objects.all()`.

Until collection cases exist (issue 5), a collector or team lead sees the portfolios of the lenders their team
works; roles with `view_all_portfolios` see everything; a user without a team sees nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser

from arrears.accounts.models import User
from arrears.accounts.roles import VIEW_ALL_PORTFOLIOS, can

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from arrears.portfolio.models import Borrower, Loan


def visible_loans(user: User | AnonymousUser) -> QuerySet[Loan]:
    from arrears.portfolio.models import Loan

    loans = Loan.objects.all()
    if can(user, VIEW_ALL_PORTFOLIOS):
        return loans
    if not user.is_authenticated or not isinstance(user, User) or user.team is None:
        return loans.none()
    if not user.team.lenders:
        return loans
    return loans.filter(lender__in=user.team.lenders)


def visible_borrowers(user: User | AnonymousUser) -> QuerySet[Borrower]:
    from arrears.portfolio.models import Borrower

    if can(user, VIEW_ALL_PORTFOLIOS):
        return Borrower.objects.all()
    return Borrower.objects.filter(pk__in=visible_loans(user).values("borrower_id"))
