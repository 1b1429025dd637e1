"""Portfolio pages: the loan list (search, filters, HTMX partial results), loan detail and the import page."""

from __future__ import annotations

import csv
import importlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, SuspiciousFileOperation
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_htmx.middleware import HtmxDetails

from arrears.accounts import roles
from arrears.core.errors import DomainError
from arrears.portfolio import selectors, services
from arrears.portfolio.forms import ImportForm, LoanFilterForm
from arrears.portfolio.models import ImportRun

PAGE_SIZE = 25
ERRORS_SHOWN = 500

# Files of the interchange format, as the import's counts and error report name them.
FILE_LABELS = {
    "borrowers": gettext_lazy("Borrowers"),
    "loans": gettext_lazy("Loans"),
    "schedules": gettext_lazy("Schedules"),
    "payments": gettext_lazy("Payments"),
    "collateral": gettext_lazy("Collateral"),
    "guarantees": gettext_lazy("Guarantees"),
    "contacts": gettext_lazy("Contacts"),
    "claims": gettext_lazy("Claims"),
    "assignments": gettext_lazy("Assignments"),
    "recourse_payments": gettext_lazy("Recourse payments"),
}
COUNT_LABELS = {
    "created": gettext_lazy("Created"),
    "updated": gettext_lazy("Updated"),
    "unchanged": gettext_lazy("Unchanged"),
    "skipped": gettext_lazy("Skipped"),
    "invalid": gettext_lazy("Invalid"),
    "generated": gettext_lazy("Generated"),
    "deleted": gettext_lazy("Deleted"),
}


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@login_required
def loan_list(request: HtmxHttpRequest) -> HttpResponse:
    form = LoanFilterForm(request.GET, provinces=selectors.loan_provinces(request.user))
    filters = form.filters()
    query = filters.pop("q")
    loans = selectors.search_loans(request.user, query, **filters)
    paginator = Paginator(loans, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    full_pii = selectors.shows_full_pii(request.user)
    if full_pii:
        services.record_full_pii_read(
            request.user,
            [loan.borrower_id for loan in page.object_list],
            f"loan list {request.get_full_path()}",
        )
    context = {
        "form": form,
        "page": page,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "filtered": bool(query or any(filters.values())),
        "full_pii": full_pii,
    }
    template = "portfolio/loan_list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#results"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
def loan_detail(request: HttpRequest, loan_id: str) -> HttpResponse:
    loan = selectors.get_loan(request.user, loan_id)
    installments = sorted(loan.installments_due.all(), key=lambda i: i.installment_no)
    payments = sorted(loan.payments.all(), key=lambda p: (p.paid_on, p.payment_id))
    reversed_ids = {p.reverses_id for p in payments if p.reverses_id}
    schedule_totals = {
        "principal": sum(i.principal_due for i in installments),
        "interest": sum(i.interest_due for i in installments),
        "fee": sum(i.fee_due for i in installments),
    }
    schedule_totals["total"] = sum(schedule_totals.values())
    full_pii = selectors.shows_full_pii(request.user)
    if full_pii:
        services.record_full_pii_read(request.user, [loan.borrower_id], f"loan detail {loan.loan_id}")
    from arrears.delinquency import views as delinquency  # the status panel and the schedule allocation
    from arrears.delinquency.selectors import current_status

    status = current_status(loan)
    context = {
        "loan": loan,
        "borrower": loan.borrower,
        "full_pii": full_pii,
        "installments": installments,
        "schedule_totals": schedule_totals,
        "payments": payments,
        "reversed_ids": reversed_ids,
        "paid_net": selectors.net_paid(payments),
        "collateral": list(loan.collateral.all()),
        "guarantees": list(loan.guarantees.all()),
        "contacts": sorted(loan.borrower.contacts.all(), key=lambda c: c.contact_id),
        **delinquency.schedule_context(loan, installments, status),
        **delinquency.panel_context(request, loan, status),
    }
    return render(request, "portfolio/loan_detail.html", context)


def _require_import(request: HttpRequest) -> None:
    if not roles.can(request.user, roles.IMPORT_PORTFOLIO):
        raise PermissionDenied(_("Your role may not import portfolios."))


def run_import(path: Path, *, skip_invalid: bool, actor: Any, source_name: str) -> ImportRun:
    """`arrears.portfolio.services.import_portfolio`, looked up per call so tests can stand in for it."""
    services = importlib.import_module("arrears.portfolio.services")
    run: ImportRun = services.import_portfolio(
        path, skip_invalid=skip_invalid, actor=actor, source_name=source_name
    )
    return run


def _save_upload(upload: UploadedFile) -> Path:
    """The upload in a private temporary folder, under its own (sanitised) name for the error report."""
    original = Path(upload.name or "upload")
    try:
        name = get_valid_filename(original.name)
    except SuspiciousFileOperation:
        name = "upload" + original.suffix.lower()
    path = Path(tempfile.mkdtemp(prefix="arrears-import-")) / name
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path


@login_required
def import_portfolio(request: HttpRequest) -> HttpResponse:
    _require_import(request)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            path = _save_upload(upload)
            try:
                run = run_import(
                    path,
                    skip_invalid=form.cleaned_data["skip_invalid"],
                    actor=request.user,
                    source_name=upload.name,
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                _announce(request, run)
                return redirect("portfolio:import_run", run_id=run.pk)
            finally:
                shutil.rmtree(path.parent, ignore_errors=True)
    else:
        form = ImportForm()
    return _import_page(request, form, None)


@login_required
def import_run(request: HttpRequest, run_id: int) -> HttpResponse:
    _require_import(request)
    run = selectors.get_import_run(run_id)
    return _import_page(request, ImportForm(), run)


@login_required
def import_run_errors_csv(request: HttpRequest, run_id: int) -> HttpResponse:
    """The full error report of a run as CSV (UTF-8 with BOM, so Excel opens the Chinese text correctly)."""
    _require_import(request)
    run = selectors.get_import_run(run_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-errors.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(["file", "row", "column", "value", "message"])
    for error in run.errors or []:
        writer.writerow(
            [_csv_safe(error.get(key, "")) for key in ("file", "row", "column", "value", "message")]
        )
    return response


def _csv_safe(value: object) -> object:
    """Defuses spreadsheet formulas in echoed input ('=HYPERLINK(...)'); negative numbers stay as they are."""
    if (
        isinstance(value, str)
        and value
        and (value[0] in "=+@\t\r" or (value[0] == "-" and not value[1:2].isdigit()))
    ):
        return "'" + value
    return value


def _announce(request: HttpRequest, run: ImportRun) -> None:
    if run.status == ImportRun.Status.SUCCEEDED:
        messages.success(request, _("The portfolio was imported."))
    elif run.status == ImportRun.Status.PARTIAL:
        messages.warning(
            request,
            _("The portfolio was imported; %(count)d invalid rows were skipped.")
            % {"count": run.error_count},
        )
    elif run.status == ImportRun.Status.REJECTED:
        messages.error(
            request,
            _("The portfolio was rejected and nothing was written: %(count)d problems found.")
            % {"count": run.error_count},
        )
    else:
        messages.error(
            request, _("The import did not finish: %(status)s.") % {"status": run.get_status_display()}
        )


def _import_page(request: HttpRequest, form: ImportForm, run: ImportRun | None) -> HttpResponse:
    context: dict[str, Any] = {"form": form, "run": run, "recent_runs": selectors.recent_import_runs(20)}
    if run is not None:
        context.update(_run_report(run))
    return render(request, "portfolio/import.html", context)


def _run_report(run: ImportRun) -> dict[str, Any]:
    counts = run.counts if isinstance(run.counts, dict) else {}
    keys: list[str] = [
        k for k in COUNT_LABELS if any(isinstance(c, dict) and k in c for c in counts.values())
    ]
    for per_file in counts.values():
        if isinstance(per_file, dict):
            keys.extend(k for k in per_file if k not in keys)
    rows = []
    for name, per_file in counts.items():
        values = per_file if isinstance(per_file, dict) else {}
        rows.append(
            {
                "file": name,
                "label": FILE_LABELS.get(name, name),
                "values": [values.get(k) for k in keys],
            }
        )
    errors = list(run.errors or [])
    return {
        "count_columns": [COUNT_LABELS.get(k, k) for k in keys],
        "count_rows": rows,
        "errors_shown": errors[:ERRORS_SHOWN],
        "errors_total": max(run.error_count, len(errors)),
        "errors_truncated": len(errors) > ERRORS_SHOWN,
        "errors_csv_url": reverse("portfolio:import_run_errors", args=[run.pk]),
    }
