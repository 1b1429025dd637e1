"""The portfolio as handed over in the interchange format (`shared/docs/portfolio-format.md`).

Records are keyed by the referring party's own IDs, so re-importing is an idempotent upsert. Money is integer fen;
rates are annual decimal fractions. Columns the format does not list are kept in `extra`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from arrears.core.masking import mask_id_number, mask_phone


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident ID card")
    PASSPORT = "passport", _("Passport")
    USCC = "uscc", _("Unified social credit code")
    OTHER = "other", _("Other")


class LenderType(models.TextChoices):
    BANK = "bank", _("Bank")
    CONSUMER_FINANCE = "consumer_finance", _("Consumer finance company")
    MICROLOAN = "microloan", _("Micro-loan company")
    GUARANTEE = "guarantee", _("Guarantee company")
    PRIVATE = "private", _("Private lender")
    AMC = "amc", _("Asset management company")


class ProductType(models.TextChoices):
    TERM_LOAN = "term_loan", _("Term loan")
    CREDIT_CARD = "credit_card", _("Credit card")
    REVOLVING = "revolving", _("Revolving credit")
    MORTGAGE = "mortgage", _("Mortgage")
    AUTO = "auto", _("Auto loan")


class RepaymentMethod(models.TextChoices):
    EQUAL_INSTALLMENT = "equal_installment", _("Equal installment (等额本息)")
    EQUAL_PRINCIPAL = "equal_principal", _("Equal principal (等额本金)")
    INTEREST_FIRST = "interest_first", _("Interest first (先息后本)")
    BULLET = "bullet", _("Bullet (到期还本付息)")


class DayCount(models.TextChoices):
    ACT_360 = "ACT/360", "ACT/360"
    ACT_365 = "ACT/365", "ACT/365"


class LoanStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")
    WRITTEN_OFF = "written_off", _("Written off")


class CollateralKind(models.TextChoices):
    REAL_ESTATE = "real_estate", _("Real estate")
    VEHICLE = "vehicle", _("Vehicle")
    DEPOSIT = "deposit", _("Deposit")
    EQUITY = "equity", _("Equity")
    RECEIVABLE = "receivable", _("Receivable")
    OTHER = "other", _("Other")


class GuaranteeType(models.TextChoices):
    GENERAL = "general", _("General guarantee (一般保证)")
    JOINT = "joint", _("Joint and several (连带责任保证)")


class Relation(models.TextChoices):
    SELF = "self", _("Self")
    SPOUSE = "spouse", _("Spouse")
    PARENT = "parent", _("Parent")
    RELATIVE = "relative", _("Relative")
    EMERGENCY = "emergency", _("Emergency contact")
    EMPLOYER = "employer", _("Employer")
    OTHER = "other", _("Other")


class CaseType(models.TextChoices):
    OWN = "own", _("Own loan")
    ASSIGNED = "assigned", _("Assigned debt (债权转让)")
    GUARANTEE_RECOURSE = "guarantee_recourse", _("Guarantor recourse (代偿追偿)")


class Borrower(models.Model):
    borrower_id = models.CharField(_("borrower ID"), max_length=64, primary_key=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    id_type = models.CharField(
        _("ID type"), max_length=20, choices=IdType.choices, default=IdType.RESIDENT_ID
    )
    id_number = models.CharField(_("ID number"), max_length=64, db_index=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    is_company = models.BooleanField(_("company"), default=False)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("borrower")
        verbose_name_plural = _("borrowers")

    def __str__(self) -> str:
        return f"{self.name} ({self.borrower_id})"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class Loan(models.Model):
    loan_id = models.CharField(_("loan ID"), max_length=64, primary_key=True)
    borrower = models.ForeignKey(Borrower, on_delete=models.PROTECT, related_name="loans")
    lender = models.CharField(_("lender"), max_length=200, blank=True, db_index=True)
    lender_type = models.CharField(_("lender type"), max_length=20, choices=LenderType.choices)
    product_type = models.CharField(_("product"), max_length=20, choices=ProductType.choices)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    principal = models.BigIntegerField(_("principal (fen)"))
    annual_rate = models.DecimalField(_("annual rate"), max_digits=9, decimal_places=6)
    penalty_rate = models.DecimalField(_("penalty rate"), max_digits=9, decimal_places=6)
    day_count = models.CharField(
        _("day count"), max_length=7, choices=DayCount.choices, default=DayCount.ACT_360
    )
    contract_date = models.DateField(_("contract date"))
    disbursement_date = models.DateField(_("disbursement date"))
    maturity_date = models.DateField(_("maturity date"), null=True, blank=True)
    repayment_method = models.CharField(
        _("repayment method"), max_length=20, choices=RepaymentMethod.choices, blank=True
    )
    installments = models.PositiveIntegerField(_("installments"), null=True, blank=True)
    first_due_date = models.DateField(_("first due date"), null=True, blank=True)
    grace_days = models.PositiveIntegerField(_("grace days"), default=0)
    compound_interest = models.BooleanField(
        _("compound interest on overdue interest"),
        default=False,
        help_text=_("Overdue interest also accrues penalty interest (复利)."),
    )
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    jurisdiction_clause = models.CharField(_("jurisdiction clause"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=LoanStatus.choices, default=LoanStatus.ACTIVE
    )
    schedule_generated = models.BooleanField(_("schedule generated by Arrears"), default=False)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        indexes = [models.Index(fields=["status", "product_type"])]

    def __str__(self) -> str:
        return self.loan_id


class ScheduleInstallment(models.Model):
    # No index of its own on `loan`: the unique (loan, installment_no) index serves lookups by loan.
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="installments_due", db_index=False)
    installment_no = models.PositiveIntegerField(_("installment"))
    due_date = models.DateField(_("due date"))
    principal_due = models.BigIntegerField(_("principal due (fen)"))
    interest_due = models.BigIntegerField(_("interest due (fen)"))
    fee_due = models.BigIntegerField(_("fee due (fen)"), default=0)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("schedule installment")
        verbose_name_plural = _("schedule installments")
        ordering = ["loan_id", "installment_no"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "installment_no"], name="schedule_unique_installment")
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}#{self.installment_no}"


class Payment(models.Model):
    payment_id = models.CharField(_("payment ID"), max_length=64, primary_key=True)
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField(_("paid on"), db_index=True)
    amount = models.BigIntegerField(_("amount (fen)"))
    principal_paid = models.BigIntegerField(null=True, blank=True)
    interest_paid = models.BigIntegerField(null=True, blank=True)
    penalty_paid = models.BigIntegerField(null=True, blank=True)
    fee_paid = models.BigIntegerField(null=True, blank=True)
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        help_text=_("The payment this row reverses."),
    )
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["loan_id", "paid_on", "payment_id"]

    def __str__(self) -> str:
        return self.payment_id


class Collateral(models.Model):
    collateral_id = models.CharField(_("collateral ID"), max_length=64, primary_key=True)
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="collateral")
    kind = models.CharField(
        _("kind"), max_length=20, choices=CollateralKind.choices, default=CollateralKind.OTHER
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    appraised_value = models.BigIntegerField(_("appraised value (fen)"), null=True, blank=True)
    appraised_on = models.DateField(_("appraised on"), null=True, blank=True)
    lien_rank = models.PositiveSmallIntegerField(_("lien rank"), null=True, blank=True)
    registered = models.BooleanField(_("registered"), default=False)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("collateral")
        verbose_name_plural = _("collateral")

    def __str__(self) -> str:
        return self.collateral_id


class Guarantee(models.Model):
    guarantee_id = models.CharField(_("guarantee ID"), max_length=64, primary_key=True)
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="guarantees")
    guarantor_name = models.CharField(_("guarantor"), max_length=200)
    guarantor_id_number = models.CharField(_("guarantor ID number"), max_length=64, blank=True)
    guarantor_phone = models.CharField(_("guarantor phone"), max_length=32, blank=True)
    guarantee_type = models.CharField(
        _("guarantee type"), max_length=10, choices=GuaranteeType.choices, default=GuaranteeType.GENERAL
    )
    period_end = models.DateField(_("guarantee period ends"), null=True, blank=True)
    amount_cap = models.BigIntegerField(_("amount cap (fen)"), null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("guarantee")
        verbose_name_plural = _("guarantees")

    def __str__(self) -> str:
        return self.guarantee_id


class Contact(models.Model):
    contact_id = models.CharField(_("contact ID"), max_length=64, primary_key=True)
    borrower = models.ForeignKey(Borrower, on_delete=models.CASCADE, related_name="contacts")
    relation = models.CharField(_("relation"), max_length=20, choices=Relation.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    consented = models.BooleanField(_("consented"), default=False)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.contact_id


class Claim(models.Model):
    """What the referring party says is owed as of a date; verified against our recomputation at intake."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="claims", db_index=False)
    as_of = models.DateField(_("as of"))
    principal = models.BigIntegerField(null=True, blank=True)
    interest = models.BigIntegerField(null=True, blank=True)
    penalty = models.BigIntegerField(null=True, blank=True)
    fees = models.BigIntegerField(null=True, blank=True)
    case_type = models.CharField(
        _("case type"), max_length=20, choices=CaseType.choices, default=CaseType.OWN
    )
    claimant = models.CharField(_("claimant"), max_length=200, blank=True)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        constraints = [models.UniqueConstraint(fields=["loan", "as_of"], name="claim_unique_loan_date")]

    def __str__(self) -> str:
        return f"{self.loan_id}@{self.as_of}"


class Assignment(models.Model):
    """债权转让: the assignee may collect once the debtor has been notified (Civil Code art. 546)."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="assignments", db_index=False)
    assignor = models.CharField(_("assignor"), max_length=200)
    assignee = models.CharField(_("assignee"), max_length=200)
    assigned_on = models.DateField(_("assigned on"))
    notice_delivered_on = models.DateField(_("notice delivered on"), null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(fields=["loan", "assignee", "assigned_on"], name="assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.assignor} → {self.assignee}"


class RecoursePayment(models.Model):
    """代偿: a guarantor paid on the borrower's behalf and now has recourse for that amount."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="recourse_payments", db_index=False)
    guarantor = models.CharField(_("guarantor"), max_length=200)
    paid_on = models.DateField(_("paid on"))
    amount = models.BigIntegerField(_("amount (fen)"))
    recourse_rate = models.DecimalField(
        _("recourse rate"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("recourse payment")
        verbose_name_plural = _("recourse payments")
        constraints = [
            models.UniqueConstraint(fields=["loan", "guarantor", "paid_on"], name="recourse_unique")
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.guarantor} {self.paid_on}"


class ImportRun(models.Model):
    """One `arrears import` or upload: what came in, what it changed, and every problem found."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        PARTIAL = "partial", _("Imported with rows skipped")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=500)
    started_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL)
    skip_invalid = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")

    def __str__(self) -> str:
        return f"{self.source} ({self.status})"
