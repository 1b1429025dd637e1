"""The import's problem messages, and their translation for people.

Messages are produced in English inside set-based Polars expressions and stored that way: the `--json` report is
a contract that scripts match on. `localize` turns a stored message into the reader's language by matching it
against these templates (placeholders in braces carry values such as row numbers and amounts through).
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.utils.translation import gettext, gettext_noop

TEMPLATES = (
    # values
    gettext_noop("required value is missing"),
    gettext_noop("not an amount in yuan with at most 2 decimals"),
    gettext_noop("negative amount"),
    gettext_noop("not a rate: give an annual fraction such as 0.12 (= 12% a year)"),
    gettext_noop("rate above 100% a year; rates are annual fractions (0.12 = 12%)"),
    gettext_noop("not a date (use YYYY-MM-DD)"),
    gettext_noop("not a whole number"),
    gettext_noop("not 0 or 1"),
    gettext_noop("must be one of: {choices}"),
    gettext_noop("longer than {length} characters"),
    gettext_noop("not a valid resident ID number (checksum, birth date or region)"),
    gettext_noop("not a valid unified social credit code"),
    gettext_noop("not a valid phone number"),
    gettext_noop("not an email address"),
    # files
    gettext_noop("cannot be read as CSV: {detail}"),
    gettext_noop("the file is empty"),
    gettext_noop("required column is missing"),
    gettext_noop("column appears more than once"),
    gettext_noop("the file has a header but no rows"),
    gettext_noop("required file is missing"),
    gettext_noop("duplicate of row {row}"),
    # loans and schedules
    gettext_noop("disbursed before the contract date"),
    gettext_noop("first due date is not after disbursement"),
    gettext_noop("matures before disbursement"),
    gettext_noop("principal must be more than zero"),
    gettext_noop("installments must be at least 1"),
    gettext_noop("more than 600 monthly installments"),
    gettext_noop("due on or before the disbursement date"),
    gettext_noop("the schedule's principal adds up to {total}, the loan's principal is {principal}"),
    gettext_noop("another installment of this loan's schedule has errors"),
    gettext_noop("its schedule has errors ({file})"),
    gettext_noop("needed to generate the schedule: the loan has no rows in schedules.csv"),
    # payments
    gettext_noop("split adds up to {total}, not the amount"),
    gettext_noop("payment of zero"),
    gettext_noop("reverses an unknown payment"),
    gettext_noop("reverses a payment of another loan"),
    gettext_noop("a reversal must have the amount of the payment it reverses"),
    gettext_noop("a payment cannot reverse itself"),
    # references
    gettext_noop("unknown borrower"),
    gettext_noop("unknown loan"),
    gettext_noop("refers to a borrower whose row has errors ({file})"),
    gettext_noop("refers to a loan whose row has errors ({file})"),
    # containers
    gettext_noop("{name}: not UTF-8 or GB18030 text"),
    gettext_noop("{name}: cannot be read as CSV ({detail})"),
    gettext_noop("{name}: not a readable .xlsx workbook ({detail})"),
    gettext_noop("{name}: no such file or directory"),
    gettext_noop("{name}: the file is empty"),
    gettext_noop("{name}: damaged zip archive ({detail})"),
    gettext_noop(
        "{name}: a portfolio is several files (borrowers.csv, loans.csv, …); give the directory that holds them, "
        "a .zip of it, or an .xlsx workbook"
    ),
    gettext_noop("{name}: not a portfolio; expected a directory of CSV files, a .zip or an .xlsx workbook"),
    gettext_noop("import failed and wrote nothing: {detail}"),
)


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    compiled = []
    for template in TEMPLATES:
        parts = re.split(r"\{(\w+)\}", template)
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
        compiled.append((re.compile(f"^{regex}$", re.DOTALL), template))
    return compiled


def localize(message: str) -> str:
    """The message in the active language; unknown messages pass through unchanged."""
    for pattern, template in _patterns():
        if match := pattern.match(message):
            return gettext(template).format(**match.groupdict())
    return message
