"""Reads of the compliance app: the pack in force, holds and consents, the guard's history rebuilt from the
ledger, and the decisions (denied ones, paged, from the reader's visibility)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from arrears.accounts.models import User
from arrears.accounts.roles import VIEW_ALL_PORTFOLIOS, can
from arrears.accounts.selectors import visible_borrowers
from arrears.compliance import guard
from arrears.compliance.models import (
    Consent,
    ContactHold,
    ContactLedger,
    GuardDecision,
    PackAssignment,
    PackStatus,
    RulePack,
    Scope,
)
from arrears.core.errors import DomainError, NotFound

FIXTURES = Path(__file__).parent / "fixtures"
SHIPPED_PACKS = ("cn-cba-2026", "us-regf", "house")
DEFAULT_PACK = "cn-cba-2026"
DECISIONS_PER_PAGE = 50

# Parsed approved versions, keyed by (pk, approved_at): approved versions never change.
_PARSED: dict[tuple[int, Any], guard.Pack] = {}


# --- packs ---------------------------------------------------------------------------------------------------


def fixture(code: str) -> dict[str, Any] | None:
    """A shipped pack's fixture ({effective_from, note, definition}), None when there is none."""
    path = FIXTURES / f"{code}.json"
    if code not in SHIPPED_PACKS or not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def parsed(row: RulePack) -> guard.Pack:
    """The version's definition as a `guard.Pack` (approved versions parsed once per process)."""
    if row.status != PackStatus.APPROVED:
        return guard.parse_pack(row.definition)
    key = (row.pk, row.approved_at)
    pack = _PARSED.get(key)
    if pack is None:
        if len(_PARSED) > 256:
            _PARSED.clear()
        pack = _PARSED[key] = guard.parse_pack(row.definition)
    return pack


def pack_in_force(code: str, day: dt.date) -> RulePack | None:
    """The approved version of `code` with the latest `effective_from` on or before `day` (then the highest
    version)."""
    return (
        RulePack.objects.filter(code=code, status=PackStatus.APPROVED, effective_from__lte=day)
        .order_by("-effective_from", "-version")
        .first()
    )


def assigned_pack_code(lender: str, lender_type: str, day: dt.date) -> str | None:
    """The pack a portfolio uses on `day`: the latest assignment to the lender, else to its type, else the
    default. One query."""
    scopes = Q(scope=Scope.DEFAULT)
    if lender:
        scopes |= Q(scope=Scope.LENDER, value=lender)
    if lender_type:
        scopes |= Q(scope=Scope.LENDER_TYPE, value=lender_type)
    rows = PackAssignment.objects.filter(scopes, effective_from__lte=day).order_by("-effective_from", "-pk")
    best: dict[str, str] = {}
    for scope, code in rows.values_list("scope", "pack_code"):
        best.setdefault(scope, code)
    for scope in (Scope.LENDER, Scope.LENDER_TYPE, Scope.DEFAULT):
        if scope in best:
            return best[scope]
    return None


def pack_for(lender: str, lender_type: str, day: dt.date) -> tuple[RulePack, guard.Pack]:
    """The pack a portfolio uses on `day`, its row (definition deferred: parsed once per process) and the pack."""
    code = assigned_pack_code(lender, lender_type, day) or DEFAULT_PACK
    row = (
        RulePack.objects.filter(code=code, status=PackStatus.APPROVED, effective_from__lte=day)
        .only("pk", "code", "version", "status", "approved_at")
        .order_by("-effective_from", "-version")
        .first()
    )
    if row is None:
        raise NotFound(
            _("No approved version of the rule pack %(code)s is in force on %(day)s.")
            % {"code": code, "day": day.isoformat()}
        )
    return row, parsed(row)


def pack_versions() -> QuerySet[RulePack]:
    return RulePack.objects.select_related("created_by", "edited_by", "approved_by").order_by(
        "code", "-effective_from", "-version"
    )


def packs_overview(day: dt.date) -> list[dict[str, Any]]:
    """Every code with its version in force on `day` and its versions (newest first), for the list and the
    `packs` command."""
    versions = list(pack_versions())
    codes = list(dict.fromkeys(v.code for v in versions))
    overview = []
    for code in codes:
        rows = [v for v in versions if v.code == code]
        in_force = next(
            (v for v in sorted(rows, key=lambda r: (r.effective_from, r.version), reverse=True)
             if v.status == PackStatus.APPROVED and v.effective_from <= day),
            None,
        )  # fmt: skip
        overview.append({"code": code, "in_force": in_force, "versions": rows})
    return overview


def pack_as_dict(row: RulePack, *, in_force: bool = False) -> dict[str, Any]:
    return {
        "id": row.pk,
        "code": row.code,
        "version": row.version,
        "effective_from": row.effective_from,
        "status": row.status,
        "in_force": in_force,
        "name": (row.definition or {}).get("name", ""),
        "created_by": row.created_by.get_username() if row.created_by else None,
        "approved_by": row.approved_by.get_username() if row.approved_by else None,
        "approved_at": row.approved_at,
    }


def assignments() -> QuerySet[PackAssignment]:
    return PackAssignment.objects.select_related("created_by").order_by("scope", "value", "-effective_from")


# --- holds and consents ---------------------------------------------------------------------------------------


def holds_for(borrower_id: str, *, include_lifted: bool = False) -> list[ContactHold]:
    """The borrower's holds, newest first (lifted ones only when asked)."""
    rows = ContactHold.objects.filter(borrower_id=borrower_id).select_related(
        "loan", "created_by", "lifted_by"
    )
    if not include_lifted:
        rows = rows.filter(lifted_at__isnull=True)
    return list(rows.order_by("-created_at", "-pk"))


def guard_holds(borrower_id: str) -> list[guard.Hold]:
    """The borrower's holds not lifted, as the guard reads them (it checks their dates against the attempt)."""
    rows = ContactHold.objects.filter(borrower_id=borrower_id, lifted_at__isnull=True).values_list(
        "kind", "soft", "loan_id", "starts_on", "ends_on"
    )
    return [guard.Hold(k, s, loan, start, end) for k, s, loan, start, end in rows]


def visible_holds(
    user: User | AnonymousUser, *, active: bool = True, borrower_id: str = "", kind: str = ""
) -> QuerySet[ContactHold]:
    rows = ContactHold.objects.select_related("borrower", "loan", "created_by", "lifted_by")
    if not can(user, VIEW_ALL_PORTFOLIOS) or (isinstance(user, User) and user.agency_id is not None):
        rows = rows.filter(borrower__in=visible_borrowers(user))
    if active:
        rows = rows.filter(lifted_at__isnull=True)
    if borrower_id:
        rows = rows.filter(borrower_id=borrower_id)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("-created_at", "-pk")


def consent_kinds(borrower_id: str, attempt: guard.Attempt, pack: guard.Pack) -> frozenset[str]:
    """The kinds of consent with evidence that cover `attempt`: valid at its time, on its channel (or any), and
    given no longer ago than the pack's `consent_max_days`."""
    at = attempt.at
    rows = Consent.objects.filter(
        Q(channel="") | Q(channel=attempt.channel),
        borrower_id=borrower_id,
        valid_from__lte=at,
        valid_until__gte=at,
    ).values_list("kind", "valid_from")
    longest = dt.timedelta(days=pack.consent_max_days) if pack.consent_max_days else None
    return frozenset(kind for kind, since in rows if longest is None or at < since + longest)


# --- the guard's history ---------------------------------------------------------------------------------------


_LEDGER_FIELDS = (
    "at",
    "utc_offset_minutes",
    "channel",
    "party",
    "address",
    "debt_id",
    "borrower_id",
    "outcome",
)


def _attempt(values: tuple[Any, ...]) -> guard.Attempt:
    at, offset, channel, party, address, debt_id, borrower_id, outcome = values
    return guard.Attempt(
        at=at.astimezone(dt.timezone(dt.timedelta(minutes=offset))),
        channel=channel,
        party=party,
        address=address,
        debt_id=debt_id,
        outcome=outcome or None,
        debtor=borrower_id,
    )


def history_for(pack: guard.Pack, attempt: guard.Attempt, borrower_id: str) -> guard.History:
    """The guard's history for `attempt`, rebuilt from the ledger: the contacts of the last
    `pack.lookback_days` about the borrower, the debt or to the address (one query on three indexes), the debtor's
    failed-contact streak since they were last reached and whether the address (a third party) ever objected (two
    small indexed queries). Equal to the history recorded contact by contact, pruned to the window."""
    history = guard.History(pack)
    at = attempt.at
    since = at - dt.timedelta(days=pack.lookback_days)
    rows = (
        ContactLedger.objects.filter(
            Q(borrower_id=borrower_id) | Q(debt_id=attempt.debt_id) | Q(address=attempt.address),
            at__gte=since,
            at__lte=at,
        )
        .order_by("at", "pk")
        .values_list(*_LEDGER_FIELDS)
    )
    reached = frozenset(pack.outcomes.reached)
    reached_in_window = False
    for values in rows:
        history.record(_attempt(values))
        if values[3] == "debtor" and values[6] == borrower_id and values[7] in reached:
            reached_in_window = True
    history.prune(guard.first_day(pack, at))
    if not reached_in_window:  # else the window holds the whole streak since the debtor was last reached
        _debtor_streak(history, pack, borrower_id, at)
    if attempt.party == "third_party" and attempt.address not in history.objected:
        objected = ContactLedger.objects.filter(
            address=attempt.address, party="third_party", outcome__in=pack.outcomes.objection, at__lte=at
        ).exists()
        if objected:
            history.objected.add(attempt.address)
    return history


def _debtor_streak(history: guard.History, pack: guard.Pack, borrower_id: str, at: dt.datetime) -> None:
    """The debtor's failed contacts since they were last reached (and whether a number proved invalid since), over
    the whole ledger: the last reached row, then one count over the debtor's rows after it (both on the
    (borrower, party, at) index)."""
    debtor_rows = ContactLedger.objects.filter(borrower_id=borrower_id, party="debtor", at__lte=at)
    last = (
        debtor_rows.filter(outcome__in=pack.outcomes.reached)
        .order_by("-at", "-pk")
        .values_list("at", "pk")
        .first()
    )
    since = (
        debtor_rows if last is None else debtor_rows.filter(Q(at__gt=last[0]) | Q(at=last[0], pk__gt=last[1]))
    )
    counts = since.filter(outcome__in=pack.outcomes.failed).aggregate(
        failed=Count("pk"), invalid=Count("pk", filter=Q(outcome__in=pack.outcomes.invalid))
    )
    if last is None and not counts["failed"]:
        history.debtors.pop(borrower_id, None)
    else:
        history.set_debtor(borrower_id, counts["failed"], counts["invalid"] > 0)


# --- decisions -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionFilters:
    rule: str = ""
    channel: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    borrower_id: str = ""


def visible_decisions(user: User | AnonymousUser) -> QuerySet[GuardDecision]:
    rows = GuardDecision.objects.select_related("actor")
    if not can(user, VIEW_ALL_PORTFOLIOS) or (isinstance(user, User) and user.agency_id is not None):
        rows = rows.filter(borrower_id__in=visible_borrowers(user).values("pk"))
    return rows


def denied_decisions(
    user: User | AnonymousUser,
    filters: DecisionFilters | None = None,
    *,
    page: int | str | None = 1,
    per_page: int = DECISIONS_PER_PAGE,
) -> Page:
    """The denied attempts the reader may see, newest first, filtered, as a page (`page.paginator.count` is
    the total)."""
    filters = filters or DecisionFilters()
    rows = visible_decisions(user).filter(allowed=False)
    if filters.rule:
        rows = rows.filter(rule=filters.rule)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    if filters.date_from:
        rows = rows.filter(decided_at__date__gte=filters.date_from)
    if filters.date_to:
        rows = rows.filter(decided_at__date__lte=filters.date_to)
    if filters.borrower_id:
        rows = rows.filter(borrower_id=filters.borrower_id)
    return Paginator(rows.order_by("-decided_at", "-pk"), per_page).get_page(page)


def denied_rules() -> list[str]:
    """The rules that denied something, for the filter's choices."""
    return list(
        GuardDecision.objects.filter(allowed=False)
        .exclude(rule="")
        .order_by("rule")
        .values_list("rule", flat=True)
        .distinct()
    )


def decision_as_dict(row: GuardDecision) -> dict[str, Any]:
    return {
        "id": row.pk,
        "decided_at": row.decided_at,
        "at": row.local_at.isoformat(),
        "channel": row.channel,
        "party": row.party,
        "address": row.address,
        "debt_id": row.debt_id,
        "borrower_id": row.borrower_id,
        "allowed": row.allowed,
        "rule": row.rule or None,
        "reason": row.reason_text,
        "pack": row.pack_code,
        "pack_version": row.pack_version,
        "case_id": row.case_id,
        "actor": row.actor.get_username() if row.actor else None,
    }


def require_pack(code_or_id: str | int) -> RulePack:
    row = RulePack.objects.filter(pk=code_or_id).first() if str(code_or_id).isdigit() else None
    if row is None:
        raise NotFound(f"rule pack {code_or_id} not found")
    return row


def problems(exc: Exception) -> str:
    """A pydantic ValidationError as one line per problem (`where: what`)."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'definition'}: {e['msg']}" for e in errors())


def validation_error(exc: Exception) -> DomainError:
    return DomainError(_("The rule pack is not valid: %(problems)s") % {"problems": problems(exc)})
