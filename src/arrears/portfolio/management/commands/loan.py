from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from arrears.audit import services as audit
from arrears.core.commands import ArrearsCommand
from arrears.core.errors import NotFound
from arrears.portfolio.models import Loan
from arrears.portfolio.selectors import loan_as_dict


class Command(ArrearsCommand):
    help = "Look at one loan: `arrears loan show LOAN_ID [--json]` prints its terms, borrower, schedule and payments."
    json_option = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="show one loan")
        show.add_argument("loan_id")
        show.add_argument("--json", action="store_true", help="print the loan as JSON")
        show.add_argument(
            "--unmask", action="store_true", help="show the full ID number and phone (the read is audited)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        loan = (
            Loan.objects.select_related("borrower", "status_row")
            .prefetch_related("installments_due", "payments")
            .filter(pk=options["loan_id"])
            .first()
        )
        if loan is None:
            raise NotFound(f"no loan {options['loan_id']}")
        if options["unmask"]:
            audit.record(
                "pii.read", "borrower", loan.borrower_id, actor_label="cli", note="loan show --unmask"
            )
        data = loan_as_dict(loan, full_pii=options["unmask"])
        self.emit(options, data, self._human(data))

    def _human(self, d: dict[str, Any]) -> str:
        b = d["borrower"]
        lines = [
            f"Loan {d['loan_id']} ({d['status']}) — {d['lender']} [{d['lender_type']}], {d['product_type']}",
            f"Borrower {b['borrower_id']} {b['name']}  ID {b['id_number']}  phone {b['phone']}",
            f"Principal {d['principal']} {d['currency']} at {d['annual_rate']} a year "
            f"(penalty {d['penalty_rate']}), {d['repayment_method'] or '-'}, disbursed {d['disbursement_date']}",
            "",
            f"{'No':>4} {'Due':<10} {'Principal':>14} {'Interest':>12} {'Fee':>10}",
        ]
        for i in d["schedule"]:
            lines.append(
                f"{i['installment_no']:>4} {i['due_date']:<10} {i['principal_due']:>14} {i['interest_due']:>12} "
                f"{i['fee_due']:>10}"
            )
        lines.append("")
        lines.append(f"Payments ({len(d['payments'])}), total {d['paid_total']}:")
        for p in d["payments"]:
            reverses = f"  reverses {p['reverses']}" if p["reverses"] else ""
            lines.append(f"  {p['payment_id']:<14} {p['paid_on']} {p['amount']:>14}{reverses}")
        return "\n".join(lines)
