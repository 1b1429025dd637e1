"""What each role may do, as data. Views and services ask `can(user, capability)`; nothing checks role names."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from arrears.accounts.models import Role, User

VIEW_ALL_PORTFOLIOS = "view_all_portfolios"
VIEW_FULL_PII = "view_full_pii"
IMPORT_PORTFOLIO = "import_portfolio"
EXPORT_PORTFOLIO = "export_portfolio"
MANAGE_SETTINGS = "manage_settings"
VIEW_AUDIT = "view_audit"
PAUSE_DELINQUENCY = "pause_delinquency"
REQUEST_CLASSIFICATION = "request_classification"
APPROVE_CLASSIFICATION = "approve_classification"
RUN_BATCH = "run_batch"
WORK_CASES = "work_cases"  # move a case through the everyday stages, notes, follow-ups
MANAGE_CASES = "manage_cases"  # escalate to legal, close, reassign
MANAGE_STRATEGY = "manage_strategy"  # segments, treatment paths, arms; promote a challenger
PLACE_CASES = "place_cases"  # place cases with outside agencies and recall them
MANAGE_COMPLIANCE = "manage_compliance"  # rule packs, lifting contact holds, consent review
EXPORT_EVIDENCE = "export_evidence"  # the evidence log: verify, export court packages
MANAGE_RISK = "manage_risk"  # register models, draft scorecards
APPROVE_RISK = "approve_risk"  # approve them for production (never one's own)
MANAGE_LEGAL = "manage_legal"  # decide legal referrals (never one's own), assign lawyers and firms, close
WORK_LEGAL = "work_legal"  # record a matter's steps: filings, hearings, enforcement, assets, documents

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.COLLECTOR: frozenset({WORK_CASES}),
    Role.TEAM_LEAD: frozenset(
        {EXPORT_PORTFOLIO, PAUSE_DELINQUENCY, REQUEST_CLASSIFICATION, WORK_CASES, MANAGE_CASES}
    ),
    Role.LEGAL: frozenset(
        {
            VIEW_ALL_PORTFOLIOS,
            VIEW_FULL_PII,
            PAUSE_DELINQUENCY,
            WORK_CASES,
            MANAGE_CASES,
            EXPORT_EVIDENCE,
            MANAGE_LEGAL,
            WORK_LEGAL,
        }
    ),
    Role.MANAGER: frozenset(
        {
            VIEW_ALL_PORTFOLIOS,
            VIEW_FULL_PII,
            IMPORT_PORTFOLIO,
            EXPORT_PORTFOLIO,
            VIEW_AUDIT,
            PAUSE_DELINQUENCY,
            REQUEST_CLASSIFICATION,
            APPROVE_CLASSIFICATION,
            RUN_BATCH,
            MANAGE_RISK,
            APPROVE_RISK,
            WORK_CASES,
            MANAGE_CASES,
            MANAGE_STRATEGY,
            PLACE_CASES,
            EXPORT_EVIDENCE,
            MANAGE_LEGAL,
            WORK_LEGAL,
        }
    ),
    Role.COMPLIANCE: frozenset(
        {
            VIEW_ALL_PORTFOLIOS,
            VIEW_FULL_PII,
            VIEW_AUDIT,
            APPROVE_CLASSIFICATION,
            APPROVE_RISK,
            MANAGE_COMPLIANCE,
            EXPORT_EVIDENCE,
        }
    ),
    Role.ADMIN: frozenset(
        {
            VIEW_ALL_PORTFOLIOS,
            VIEW_FULL_PII,
            IMPORT_PORTFOLIO,
            EXPORT_PORTFOLIO,
            MANAGE_SETTINGS,
            VIEW_AUDIT,
            PAUSE_DELINQUENCY,
            REQUEST_CLASSIFICATION,
            APPROVE_CLASSIFICATION,
            RUN_BATCH,
            MANAGE_RISK,
            APPROVE_RISK,
            WORK_CASES,
            MANAGE_CASES,
            MANAGE_STRATEGY,
            PLACE_CASES,
            EXPORT_EVIDENCE,
            MANAGE_COMPLIANCE,
            MANAGE_LEGAL,
            WORK_LEGAL,
        }
    ),
}


def can(user: User | AnonymousUser, capability: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    assert isinstance(user, User)
    return capability in ROLE_CAPABILITIES.get(user.role, frozenset())


def can_any(user: User | AnonymousUser, capabilities: tuple[str, ...]) -> bool:
    """Any of `capabilities`; never for a user of an outside agency, whose access is only the cases placed with
    it (back-office pages — strategy, risk, compliance — are not theirs, whatever their role)."""
    if isinstance(user, User) and user.agency_id is not None:
        return False
    return any(can(user, capability) for capability in capabilities)


def require_any(user: User | AnonymousUser, capabilities: tuple[str, ...]) -> User:
    """The user when `can_any`, else PermissionDenied (403)."""
    from django.utils.translation import gettext

    from arrears.core.errors import PermissionDenied

    if not can_any(user, capabilities):
        raise PermissionDenied(gettext("You may not do this."))
    assert isinstance(user, User)
    return user
