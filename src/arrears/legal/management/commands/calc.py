"""`arrears calc …`: the statutory calculators (`arrears.legal.calculators`) on the command line.

Other teams' acceptance tests call these with `--json`; the names, flags and JSON keys are a contract (keys may be
added, never renamed). Rule versions come from the database's rule tables, or the shipped versions when there is no
migrated database. Bad input exits non-zero with a one-line message (and `{"error": …}` on stdout with `--json`).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.management.base import CommandError, CommandParser

from arrears.core.commands import ArrearsCommand
from arrears.core.dates import local_today
from arrears.core.errors import DomainError
from arrears.core.money import display_fen
from arrears.legal import calculators as calc
from arrears.rules.statutory import ROUND_STEPS, Rounding, Rulebook

Payload = tuple[dict[str, Any], str]
ROUNDING_NAMES = {
    "half-up": "ROUND_HALF_UP",
    "half-even": "ROUND_HALF_EVEN",
    "down": "ROUND_DOWN",
    "up": "ROUND_UP",
}


class Command(ArrearsCommand):
    help = (
        "Statutory calculators: court-fee, preservation-fee, enforcement-fee (诉讼费用交纳办法), deadline and periods "
        "(民事诉讼法 art. 85, holidays from chinese-calendar), limitation (民法典 arts. 188–195, 203), "
        "guarantee-period (art. 692), small-claims (by province and year), interest-cap (24% / 4 × LPR) and "
        "jurisdiction. Amounts in yuan ('1234.5' or '1,234.50'), dates YYYY-MM-DD; add --json for JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="calculator", required=True, metavar="CALCULATOR")

        def add(name: str, help_text: str) -> argparse.ArgumentParser:
            command = sub.add_parser(name, help=help_text, description=help_text)
            command.add_argument(
                "--json", action="store_true", default=argparse.SUPPRESS, help="print the result as JSON"
            )
            return command

        def rounding(command: argparse.ArgumentParser) -> None:
            command.add_argument(
                "--rounding", help=f"one of {', '.join(ROUNDING_NAMES)} (default: the rule's)"
            )
            command.add_argument("--round-to", help=f"one of {', '.join(ROUND_STEPS)} (default: the rule's)")

        court = add("court-fee", "案件受理费 of a property case (art. 13), halved per arts. 15–16")
        court.add_argument("amount", help="the claim in yuan")
        court.add_argument(
            "--procedure", default="ordinary", help="ordinary (default), simple or small_claims"
        )
        court.add_argument(
            "--outcome", default="judgment", help="judgment (default), mediation or withdrawal"
        )
        court.add_argument(
            "--halve-twice",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="halve twice for two grounds (default: the fee scale's setting, off as shipped)",
        )
        court.add_argument("--on", help="the filing date whose fee scale applies (default today)")
        rounding(court)
        for name, text in (
            ("preservation-fee", "申请保全费 on the amount preserved (art. 14(2)), at most 5,000"),
            ("enforcement-fee", "申请执行费 (art. 14(1))"),
        ):
            fee = add(name, text)
            fee.add_argument("amount", help="the amount in yuan")
            fee.add_argument("--on", help="the date whose fee scale applies (default today)")
            rounding(fee)

        deadline = add("deadline", "the last day of a statutory period (see `arrears calc periods`)")
        deadline.add_argument(
            "--kind", required=True, help="appeal-judgment, appeal-ruling, enforcement-application, …"
        )
        deadline.add_argument(
            "--served", "--from", dest="served", required=True, help="the trigger date (service, effect, …)"
        )
        add("periods", "the statutory periods `deadline --kind` knows")

        limitation = add("limitation", "when the limitation period (诉讼时效) of an instalment debt expires")
        limitation.add_argument("--last-due", required=True, help="the last instalment's due date")
        limitation.add_argument(
            "--interrupted", action="extend", nargs="+", default=[], metavar="DATE", help="interruption dates"
        )

        guarantee = add("guarantee-period", "the guarantee period (保证期间, 民法典 art. 692)")
        guarantee.add_argument("--due", required=True, help="the principal debt's due date")
        guarantee.add_argument("--agreed-months", help="the agreed period in months from the due date")
        guarantee.add_argument("--agreed-until", help="the agreed period's end date")
        guarantee.add_argument("--type", default="unstated", help="general, joint or unstated (default)")
        guarantee.add_argument(
            "--acted-on", help="when the creditor sued the debtor / demanded from the guarantor"
        )

        small = add("small-claims", "small-claims eligibility (小额诉讼) by province and year")
        small.add_argument("amount", help="the claim in yuan")
        small.add_argument("--province", required=True, help="e.g. 浙江 or Zhejiang")
        small.add_argument("--year", help="the year of filing (default this year)")

        cap = add("interest-cap", "court-recoverable interest and charges beside the contractual amount")
        cap.add_argument("--principal", required=True, help="outstanding principal in yuan")
        cap.add_argument("--annual-rate", help="all contractual charges a year: 0.15 or 15%%")
        cap.add_argument("--contractual", help="or the contractual amount in yuan, computed elsewhere")
        cap.add_argument("--from", dest="start", required=True, help="first day")
        cap.add_argument("--to", dest="end", required=True, help="end (exclusive)")
        cap.add_argument("--lender-type", required=True, help=f"one of {', '.join(calc.LENDER_REGIMES)}")
        cap.add_argument(
            "--contract-date", help="when the contract was formed (private lending; default --from)"
        )
        cap.add_argument("--day-count", help="360 or 365 (default: the rule's)")
        rounding(cap)

        court_place = add("jurisdiction", "which court to sue in, with the reasoning (domain-rules §8)")
        court_place.add_argument("--lender-location", required=True, help="the lender's location")
        court_place.add_argument("--defendant-domicile", required=True, help="the defendant's domicile")
        court_place.add_argument("--agreed-court", help="the court or place the contract's clause names")
        court_place.add_argument("--agreed-court-connected", help="yes or no: is it connected to the dispute")
        court_place.add_argument("--standard-form", action="store_true", help="the clause is a standard term")
        court_place.add_argument("--dispute", default="repayment", help="repayment (default) or lending")

        plan = add("repayment-plan", "分期还款协议: a repayment plan exact to the fen (negotiation.plans)")
        plan.add_argument("--amount", required=True, help="the amount restructured, in yuan")
        plan.add_argument("--installments", required=True, type=int, help="how many monthly installments")
        plan.add_argument("--annual-rate", default="0", help="e.g. 0.06 or 6%% (default: interest-free)")
        plan.add_argument("--down-payment", default="0", help="in yuan, due on the first due date")
        plan.add_argument("--first-due", required=True, help="YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        handlers: dict[str, Callable[[dict[str, Any]], Payload]] = {
            "repayment-plan": self._repayment_plan,
            "court-fee": self._court_fee,
            "preservation-fee": self._fee,
            "enforcement-fee": self._fee,
            "deadline": self._deadline,
            "periods": self._periods,
            "limitation": self._limitation,
            "guarantee-period": self._guarantee,
            "small-claims": self._small_claims,
            "interest-cap": self._interest_cap,
            "jurisdiction": self._jurisdiction,
        }
        try:
            payload, text = handlers[options["calculator"]](options)
        except DomainError as exc:
            if options.get("json"):
                self.stdout.write(json.dumps({"error": exc.message}, ensure_ascii=False))
            raise CommandError(exc.message) from exc
        self.emit(options, payload, text)

    # --- helpers -------------------------------------------------------------------------------------------------

    def _rules(self) -> Rulebook:
        from arrears.rules.selectors import rulebook

        return rulebook()

    @staticmethod
    def _rounding(options: dict[str, Any], default: Rounding) -> Rounding | None:
        mode, step = options.get("rounding"), options.get("round_to")
        if mode is None and step is None:
            return None
        if mode is not None and mode not in ROUNDING_NAMES:
            raise calc.CalcError(f"unknown rounding {mode!r}; one of {', '.join(ROUNDING_NAMES)}")
        if step is not None and step not in ROUND_STEPS:
            raise calc.CalcError(f"unknown --round-to {step!r}; one of {', '.join(ROUND_STEPS)}")
        return Rounding(
            ROUNDING_NAMES[mode] if mode else default.mode, ROUND_STEPS[step] if step else default.step
        )

    @staticmethod
    def _date(options: dict[str, Any], key: str, flag: str) -> Any:
        value = options.get(key)
        return None if value is None else calc.parse_date(value, flag)

    # --- calculators ---------------------------------------------------------------------------------------------

    def _court_fee(self, options: dict[str, Any]) -> Payload:
        amount = calc.parse_amount(options["amount"], "the claim")
        on = self._date(options, "on", "--on") or local_today()
        scale = self._rules().fee_scale("acceptance", on)
        result = calc.court_fee(
            amount,
            options["procedure"],
            options["outcome"],
            scale=scale,
            halve_twice=options["halve_twice"],
            rounding=self._rounding(options, scale.rounding),
        )
        text = (
            f"Court fee {display_fen(result.fee)} yuan (base {display_fen(result.base_fee)}, reduction "
            f"{display_fen(result.reduction)})\n{result.basis}"
        )
        return result.as_dict(), text

    def _fee(self, options: dict[str, Any]) -> Payload:
        kind = options["calculator"].removesuffix("-fee")
        amount = calc.parse_amount(options["amount"])
        on = self._date(options, "on", "--on") or local_today()
        scale = self._rules().fee_scale(kind, on)
        result = calc.tiered_fee(amount, scale, rounding=self._rounding(options, scale.rounding))
        return result.as_dict(), f"{kind.capitalize()} fee {display_fen(result.fee)} yuan\n{result.basis}"

    def _deadline(self, options: dict[str, Any]) -> Payload:
        served = calc.parse_date(options["served"], "--served")
        result = calc.deadline(options["kind"], served, rules=self._rules())
        data = result.as_dict()
        text = f"{result.period.label}: {result.period.text} from {served}, last day {result.deadline}"
        if data["moved_off_rest_days"]:
            text += f" (moved from {result.nominal}, a rest day)"
        if result.provisional:
            text += f"\nprovisional: {data['note']}"
        return data, f"{text}\n{result.period.basis}"

    def _periods(self, options: dict[str, Any]) -> Payload:
        book = self._rules()
        rows = [
            max((p for p in book.periods if p.kind == kind), key=lambda p: p.effective_from)
            for kind in book.period_kinds()
        ]
        data = {
            "periods": [
                {
                    "kind": p.kind,
                    "period": p.text,
                    "label": p.label,
                    "counted_from": p.starts,
                    "moves_off_rest_days": p.moves_off_rest_days,
                    "effective_from": p.effective_from.isoformat(),
                    "basis": p.basis,
                    "source": p.source,
                }
                for p in rows
            ]
        }
        text = "\n".join(f"{p.kind:<24} {p.text:<10} {p.label}" for p in rows)
        return data, f"{text}\n(rules: {book.origin})"

    def _limitation(self, options: dict[str, Any]) -> Payload:
        last_due = calc.parse_date(options["last_due"], "--last-due")
        interrupted = [calc.parse_date(d, "--interrupted") for d in options["interrupted"]]
        result = calc.limitation(last_due, interrupted, rules=self._rules())
        data = result.as_dict()
        text = (
            f"Limitation expires on {result.expires_on} (runs from {result.runs_from}, {result.period.text})"
        )
        for item in data["interruptions_ignored"]:
            text += f"\nignored {item['date']}: {item['reason']}"
        if result.provisional:
            text += f"\nprovisional: {data['note']}"
        return data, text

    def _guarantee(self, options: dict[str, Any]) -> Payload:
        months = options.get("agreed_months")
        if months is not None and not months.strip().lstrip("-").isdigit():
            raise calc.CalcError(f"--agreed-months {months!r} is not a whole number of months")
        result = calc.guarantee_period(
            calc.parse_date(options["due"], "--due"),
            agreed_months=None if months is None else int(months),
            agreed_until=self._date(options, "agreed_until", "--agreed-until"),
            guarantee_type=options["type"],
            acted_on=self._date(options, "acted_on", "--acted-on"),
            rules=self._rules(),
        )
        return (
            result.as_dict(),
            f"Guarantee period ends on {result.ends_on}: {result.to_preserve}\n"
            + "\n".join(result.reasoning),
        )

    def _small_claims(self, options: dict[str, Any]) -> Payload:
        amount = calc.parse_amount(options["amount"], "the claim")
        year_text = options.get("year")
        if year_text is not None and not year_text.strip().isdigit():
            raise calc.CalcError(f"--year {year_text!r} is not a year")
        year = int(year_text) if year_text else local_today().year
        result = calc.small_claims(amount, self._rules().small_claims_threshold(options["province"], year))
        verdict = "eligible" if result.eligible else "not eligible"
        if not result.eligible and result.eligible_by_agreement:
            verdict += " (eligible if both parties agree)"
        return (
            result.as_dict(),
            f"Small claims: {verdict}; threshold {display_fen(result.threshold.threshold)}",
        )

    def _interest_cap(self, options: dict[str, Any]) -> Payload:
        rate, contractual = options.get("annual_rate"), options.get("contractual")
        day_count = options.get("day_count")
        if day_count is not None and day_count not in ("360", "365"):
            raise calc.CalcError(f"--day-count must be 360 or 365, not {day_count!r}")
        book = self._rules()
        lender_type = options["lender_type"]
        start = calc.parse_date(options["start"], "--from")
        contract_date = self._date(options, "contract_date", "--contract-date")
        rule = calc.cap_rule(lender_type, start, contract_date, rules=book)
        result = calc.interest_cap(
            calc.parse_amount(options["principal"], "--principal"),
            start,
            calc.parse_date(options["end"], "--to"),
            lender_type,
            annual_rate=None if rate is None else calc.parse_rate(rate, "--annual-rate"),
            contractual=None if contractual is None else calc.parse_amount(contractual, "--contractual"),
            contract_date=contract_date,
            rules=book,
            day_count=None if day_count is None else int(day_count),
            rounding=self._rounding(options, rule.rounding),
        )
        text = (
            f"Contractual {display_fen(result.contractual)}, cap {display_fen(result.cap)}, recoverable "
            f"{display_fen(result.recoverable)} yuan\n{result.basis}"
        )
        return result.as_dict(), text

    def _jurisdiction(self, options: dict[str, Any]) -> Payload:
        connected_text = options.get("agreed_court_connected")
        answers = {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}
        if connected_text is not None and connected_text.strip().lower() not in answers:
            raise calc.CalcError(f"--agreed-court-connected must be yes or no, not {connected_text!r}")
        result = calc.jurisdiction(
            options["lender_location"],
            options["defendant_domicile"],
            agreed_court=options.get("agreed_court"),
            agreed_court_connected=None
            if connected_text is None
            else answers[connected_text.strip().lower()],
            standard_form=options["standard_form"],
            dispute=options["dispute"],
        )
        lines = [f"Sue in {result.court} ({result.ground})", *(f"- {r}" for r in result.reasoning)]
        lines += [f"check: {c}" for c in result.checks]
        return result.as_dict(), "\n".join(lines)

    def _repayment_plan(self, options: dict[str, Any]) -> Payload:
        from arrears.negotiation.plans import PlanError, as_dict, schedule

        rate = options["annual_rate"]
        try:
            rows = schedule(
                calc.parse_amount(options["amount"], "--amount"),
                options["installments"],
                calc.parse_date(options["first_due"], "--first-due"),
                annual_rate=calc.parse_rate(rate, "--annual-rate") if rate not in ("", "0") else Decimal(0),
                down_payment=calc.parse_amount(options["down_payment"], "--down-payment"),
            )
        except PlanError as exc:
            raise calc.CalcError(str(exc)) from None
        payload = as_dict(rows)
        lines = [
            f"{r['no']:>3} {r['due_date']} {r['principal']:>12} {r['interest']:>10} {r['total']:>12}"
            for r in payload["installments"]
        ]
        return payload, "\n".join([*lines, f"total interest {payload['total_interest']}"])
