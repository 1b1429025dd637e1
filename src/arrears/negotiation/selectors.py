"""Reads of the negotiation app: the negotiation report (promises, plans, what was given up) over the cases a user
may see (`cases.selectors.visible_cases`: a collector their own, a team lead their team's, a manager all).

The KPI formulas are domain-rules.md §10.2 (a convention, not regulation: the choices below are ours and are
written down here, as §10.2's implementation notes ask):

**PTP rate** = promises to pay ÷ right-party contacts.
- *promises*: promises made in [start, end] (`Promise.made_on`) on the visible cases, whatever became of them,
  except cancelled ones (withdrawn: entered by mistake or replaced by a new promise, which would count twice). A
  settlement's promise (`source == "settlement"`) is left out: it is created when an approver approves a
  discounted payoff, not obtained from the debtor in a contact, so counting it would inflate the rate and credit
  the approver; settlements show in `waived` instead.
- *right-party contacts*: calls whose local date (the configured time zone) is in [start, end], to the debtor
  (`party == "debtor"`), in which the debtor was spoken to: the outcomes of `cases.services.REACHED` (answered,
  refused to talk, promise to pay, dispute). Wrong party, no answer, busy and invalid numbers are not contacts.

**PTP kept rate** = promises kept ÷ promises that fell due in the period.
- a promise *falls due* on its last promised date plus the promise grace of the negotiation policy in force on
  that date (`NegotiationPolicy`, as `services.policy(last date)` gives it), when that day is in [start, end];
  only promises the close has judged count (kept, partially kept, broken): an open one is not decided yet, a
  cancelled one was withdrawn. Settlement promises are left out, as above.
- *kept* means the whole promised amount arrived in time (`batch.steps.promises`); *partially kept* (something
  paid, not all) is reported beside it but is not kept: §10.2 asks for payment ≥ the promised amount.
- by collector: the person who took the promise (`created_by`), or the case's collector when nobody did (a
  borrower's own promise); by team: that person's team; by bucket: the case's **current** bucket (the close's
  latest fact; the bucket when the promise was made is not kept on the promise).

**Plans** (`RepaymentPlan`), by the dates the close and the signing write:
- *started*: signed in [start, end]; *active*: running at the end of the period (signed on or before `end`, not
  completed or broken by then); *completed* / *broken*: ended in [start, end] with that outcome;
- *completion rate* = completed ÷ (completed + broken), over the plans that ended in the period;
- *break rate* = broken ÷ the plans running at some time in the period (signed on or before `end` and not ended
  before `start`): the share of the plans on the books that broke, not the complement of the completion rate.

**Waived** = what was given up: adjustments (`Adjustment`) of kind waiver or settlement posted in [start, end],
minus the reversals posted in [start, end] of such adjustments (a reversal carries the amount of the adjustment it
reverses), by the role of whoever asked for the concession (none: a borrower's own proposal from the portal) and by
the concession's reason (`REASONS`). The restructure adjustment a signed plan posts is not a give-up (the amount is
carried into the plan) and is not counted.

Everything is set-based: a handful of aggregate queries and one Polars pass, never a query per case.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from arrears.accounts.models import Role, User
from arrears.cases.selectors import visible_cases
from arrears.core.money import format_fen
from arrears.negotiation.models import REASONS, Adjustment, NegotiationPolicy, Promise, RepaymentPlan

JUDGED = [Promise.Status.KEPT, Promise.Status.PARTIALLY_KEPT, Promise.Status.BROKEN]
GIVEN_UP = [Adjustment.Kind.WAIVER, Adjustment.Kind.SETTLEMENT]
RATE_PLACES = Decimal("0.0001")
_KEPT_SCHEMA = {
    "promise_id": pl.Int64,
    "status": pl.String,
    "last_due": pl.Date,
    "collector_id": pl.Int64,
    "bucket": pl.String,
}


def rate(numerator: int, denominator: int) -> Decimal | None:
    """numerator ÷ denominator rounded half up to 4 places; None when the denominator is 0."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def report(user: User | AnonymousUser | None, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The negotiation report for [start, end] (both included) over the cases `user` may see; the definitions are
    the module's docstring (domain-rules.md §10.2). Amounts in fen (int), rates `Decimal` to 4 places or None."""
    cases = visible_cases(user).values("pk")
    return {
        "start": start,
        "end": end,
        "ptp": _ptp(cases, start, end),
        "kept": _kept(cases, start, end),
        "plans": _plans(cases, start, end),
        "waived": _waived(cases, start, end),
    }


def _ptp(cases: Any, start: dt.date, end: dt.date) -> dict[str, Any]:
    from arrears.cases.services import REACHED
    from arrears.contact.models import Call

    promises = (
        Promise.objects.filter(case__in=cases, made_on__gte=start, made_on__lte=end)
        .exclude(source="settlement")
        .exclude(status=Promise.Status.CANCELLED)
        .count()
    )
    zone = ZoneInfo(settings.TIME_ZONE)
    since = dt.datetime.combine(start, dt.time(), tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    contacts = Call.objects.filter(
        case__in=cases,
        party="debtor",
        outcome__in=sorted(REACHED),
        started_at__gte=since,
        started_at__lt=until,
    ).count()
    return {"promises": promises, "right_party_contacts": contacts, "rate": rate(promises, contacts)}


def _grace_versions() -> pl.DataFrame:
    """The promise grace by effective date (the few `NegotiationPolicy` versions); before the first version, the
    default `services.policy` falls back to."""
    default = int(NegotiationPolicy._meta.get_field("promise_grace_days").get_default())
    rows = list(NegotiationPolicy.objects.values_list("effective_from", "promise_grace_days"))
    rows.append((dt.date.min, default))
    return pl.DataFrame(rows, schema={"effective_from": pl.Date, "grace": pl.Int64}, orient="row").sort(
        "effective_from"
    )


def _kept(cases: Any, start: dt.date, end: dt.date) -> dict[str, Any]:
    graces = _grace_versions()
    widest = int(graces["grace"].max() or 0)  # type: ignore[arg-type]
    rows = list(
        Promise.objects.filter(case__in=cases, status__in=JUDGED)
        .exclude(source="settlement")
        .annotate(last_due=Max("installments__due_on"), collector=Coalesce("created_by", "case__assigned_to"))
        .filter(last_due__gte=start - dt.timedelta(days=widest), last_due__lte=end)
        .order_by()
        .values_list("pk", "status", "last_due", "collector", "case__bucket")
    )
    frame = (
        pl.DataFrame(rows, schema=_KEPT_SCHEMA, orient="row")
        .sort("last_due")
        .join_asof(graces, left_on="last_due", right_on="effective_from", strategy="backward")
        .with_columns(deadline=pl.col("last_due") + pl.duration(days=pl.col("grace")))
        .filter(pl.col("deadline").is_between(start, end))
    )
    people = {
        pk: (name or username, team_id, team_name)
        for pk, name, username, team_id, team_name in User.objects.filter(
            pk__in=frame["collector_id"].drop_nulls().unique().to_list()
        ).values_list("pk", "display_name", "username", "team_id", "team__name")
    }
    frame = frame.with_columns(
        team_id=pl.col("collector_id").replace_strict(
            {pk: team for pk, (_n, team, _t) in people.items()}, default=None, return_dtype=pl.Int64
        )
    )
    collectors = {pk: name for pk, (name, _team, _t) in people.items()}
    teams = {team: team_name for _n, team, team_name in people.values() if team is not None}
    totals = _counts(frame)
    return {
        **totals,
        "by_collector": _kept_rows(frame, "collector_id", collectors, _("Unassigned")),
        "by_team": _kept_rows(frame, "team_id", teams, _("No team")),
        "by_bucket": _kept_rows(frame, "bucket", {}, _("No bucket"), order=_bucket_order()),
    }


def _counts(frame: pl.DataFrame) -> dict[str, Any]:
    status = frame["status"]
    counts = {
        "due": frame.height,
        "kept": int((status == Promise.Status.KEPT).sum()),
        "partially_kept": int((status == Promise.Status.PARTIALLY_KEPT).sum()),
        "broken": int((status == Promise.Status.BROKEN).sum()),
    }
    return counts | {"rate": rate(counts["kept"], counts["due"])}


def _kept_rows(frame: pl.DataFrame, column: str, labels: dict[Any, str], missing: str,
               order: dict[str, int] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """One row per value of `column` (empty values: one row labelled `missing`), sorted by label (or `order`)."""
    key = pl.col(column)
    if frame.schema[column] == pl.String:
        key = pl.when(key == "").then(None).otherwise(key)
    grouped = frame.with_columns(key.alias("key")).group_by("key").agg(
        due=pl.len(),
        kept=(pl.col("status") == Promise.Status.KEPT).sum(),
        partially_kept=(pl.col("status") == Promise.Status.PARTIALLY_KEPT).sum(),
        broken=(pl.col("status") == Promise.Status.BROKEN).sum(),
    )  # fmt: skip
    rows = [
        {
            "key": row["key"],
            "label": missing if row["key"] is None else labels.get(row["key"], str(row["key"])),
            "due": int(row["due"]),
            "kept": int(row["kept"]),
            "partially_kept": int(row["partially_kept"]),
            "broken": int(row["broken"]),
            "rate": rate(int(row["kept"]), int(row["due"])),
        }
        for row in grouped.iter_rows(named=True)
    ]
    if order is not None:
        rows.sort(key=lambda r: (r["key"] is None, order.get(r["key"], len(order)), str(r["key"])))
    else:
        rows.sort(key=lambda r: (r["key"] is None, r["label"], str(r["key"])))
    return rows


def _bucket_order() -> dict[str, int]:
    """Bucket codes in the order of their first day past due (M0, M1, …, M7+), over every bucket set."""
    from arrears.delinquency.models import Bucket

    first: dict[str, int] = {}
    for code, days in Bucket.objects.values_list("code", "min_days"):
        first[code] = min(days, first.get(code, days))
    return {code: n for n, code in enumerate(sorted(first, key=lambda c: (first[c], c)))}


def _plans(cases: Any, start: dt.date, end: dt.date) -> dict[str, Any]:
    not_ended_by_end = Q(ended_on__isnull=True) | Q(ended_on__gt=end)
    in_period = Q(ended_on__gte=start, ended_on__lte=end)
    counts = RepaymentPlan.objects.filter(concession__case__in=cases).aggregate(
        started=Count("pk", filter=Q(signed_on__gte=start, signed_on__lte=end)),
        active=Count("pk", filter=Q(signed_on__lte=end) & not_ended_by_end),
        completed=Count("pk", filter=Q(status=RepaymentPlan.Status.COMPLETED) & in_period),
        broken=Count("pk", filter=Q(status=RepaymentPlan.Status.BROKEN) & in_period),
        running=Count("pk", filter=Q(signed_on__lte=end) & (Q(ended_on__isnull=True) | Q(ended_on__gte=start))),
    )  # fmt: skip
    completed, broken = int(counts["completed"]), int(counts["broken"])
    return {
        "started": int(counts["started"]),
        "active": int(counts["active"]),
        "completed": completed,
        "broken": broken,
        "completion_rate": rate(completed, completed + broken),
        "break_rate": rate(broken, int(counts["running"])),
    }


def _waived(cases: Any, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Net of reversals, by (requester's role, reason): two grouped queries."""
    posted = (
        Adjustment.objects.filter(request__case__in=cases, posted_on__gte=start, posted_on__lte=end)
        .order_by()
        .values(role=F("request__requested_by__role"), reason=F("request__reason"))
    )
    originals = posted.filter(reverses__isnull=True, kind__in=GIVEN_UP).annotate(
        given_up=Sum(F("penalty") + F("interest") + F("fee") + F("principal")), count=Count("pk")
    )
    reversals = posted.filter(reverses__isnull=False, reverses__kind__in=GIVEN_UP).annotate(
        given_up=Sum(F("reverses__penalty") + F("reverses__interest") + F("reverses__fee")
                   + F("reverses__principal")),
        count=Count("pk"),
    )  # fmt: skip
    net: dict[tuple[str | None, str], list[int]] = defaultdict(lambda: [0, 0])
    for sign, rows in ((1, originals), (-1, reversals)):
        for row in rows:
            cell = net[(row["role"], row["reason"])]
            cell[0] += sign * int(row["given_up"] or 0)
            cell[1] += sign * int(row["count"])
    roles, reasons = dict(Role.choices), dict(REASONS)
    by_role = _sum_by(net, 0, lambda key: str(roles.get(key, key)) if key else _("Borrower (portal)"))
    by_reason = _sum_by(net, 1, lambda key: str(reasons.get(key, key)))
    return {"total": sum(r["amount"] for r in by_role), "by_role": by_role, "by_reason": by_reason}


def _sum_by(net: dict[tuple[str | None, str], list[int]], part: int, label: Any) -> list[dict[str, Any]]:
    sums: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    for key, (amount, count) in net.items():
        sums[key[part]][0] += amount
        sums[key[part]][1] += count
    rows = [
        {"key": key, "label": label(key), "amount": amount, "count": count}
        for key, (amount, count) in sums.items()
        if amount or count
    ]
    return sorted(rows, key=lambda r: (-r["amount"], str(r["key"])))


# --- export --------------------------------------------------------------------------------------------------


def report_rows(data: dict[str, Any]) -> list[list[str]]:
    """The report as a long table (one figure a row: section, breakdown, key, label, measure, value), amounts in
    yuan with two decimals, rates as fractions with four; the first row is the header."""
    rows: list[list[str]] = [
        [_("section"), _("breakdown"), _("key"), _("label"), _("measure"), _("value")],
        ["period", "", "", "", "start", data["start"].isoformat()],
        ["period", "", "", "", "end", data["end"].isoformat()],
    ]

    def text(value: Any, measure: str) -> str:
        if value is None:
            return ""
        if measure == "amount" or measure == "total":
            return format_fen(int(value))
        return str(value)

    def add(section: str, breakdown: str, key: Any, label: str, figures: dict[str, Any]) -> None:
        for measure, value in figures.items():
            if measure in ("key", "label") or isinstance(value, list):
                continue
            rows.append([section, breakdown, "" if key is None else str(key), label, measure,
                         text(value, measure)])  # fmt: skip

    add("ptp", "total", None, "", data["ptp"])
    add("kept", "total", None, "", data["kept"])
    for breakdown in ("collector", "team", "bucket"):
        for row in data["kept"][f"by_{breakdown}"]:
            add("kept", breakdown, row["key"], row["label"], row)
    add("plans", "total", None, "", data["plans"])
    add("waived", "total", None, "", {"total": data["waived"]["total"]})
    for breakdown in ("role", "reason"):
        for row in data["waived"][f"by_{breakdown}"]:
            add("waived", breakdown, row["key"], row["label"], row)
    return rows


def report_csv(data: dict[str, Any]) -> str:
    """`report_rows` as CSV text (the view adds a BOM so that Excel reads it as UTF-8, as `portfolio.views`
    does)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(report_rows(data))
    return buffer.getvalue()


def pending_count(user: User) -> int:
    """Requests waiting in the approval queue that `user` might decide: pending, on cases they may see, not their
    own (the navigation's badge; one query)."""
    from arrears.negotiation.models import Concession

    return (
        Concession.objects.filter(status=Concession.Status.PENDING, case__in=visible_cases(user).values("pk"))
        .exclude(requested_by=user)
        .count()
    )
