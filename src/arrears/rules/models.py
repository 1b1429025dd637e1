"""Regulatory tables as versioned data: a row applies from `effective_from` until a later row of the same scale.

Each table is read with `rules.selectors` as of a business date, never from constants in code.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Classification(models.TextChoices):
    """五级分类 codes, in increasing severity (domain-rules.md §1)."""

    NORMAL = "normal", _("Normal (正常)")
    SPECIAL_MENTION = "special_mention", _("Special mention (关注)")
    SUBSTANDARD = "substandard", _("Substandard (次级)")
    DOUBTFUL = "doubtful", _("Doubtful (可疑)")
    LOSS = "loss", _("Loss (损失)")


SEVERITY = [c.value for c in Classification]


class ClassificationRule(models.Model):
    """Days-past-due floors of the five-tier classification (domain-rules.md §1.1, §1.3, §1.4).

    A loan overdue **more than** `substandard_after` days is at least substandard, and so on. `general` follows the
    2023 measures (《商业银行金融资产风险分类办法》); `credit_card` the 2011 credit-card measures.
    """

    class Scale(models.TextChoices):
        GENERAL = "general", _("Loans (2023 measures)")
        CREDIT_CARD = "credit_card", _("Credit cards (2011 measures)")

    scale = models.CharField(_("scale"), max_length=20, choices=Scale.choices)
    effective_from = models.DateField(_("effective from"))
    technical_grace_days = models.PositiveIntegerField(
        _("technical overdue allowance (days)"),
        default=7,
        help_text=_("A loan flagged as a technical overdue may stay normal up to this many days past due."),
    )
    special_mention_after = models.PositiveIntegerField(_("special mention when dpd exceeds"), default=0)
    substandard_after = models.PositiveIntegerField(_("substandard when dpd exceeds"))
    doubtful_after = models.PositiveIntegerField(_("doubtful when dpd exceeds"))
    loss_after = models.PositiveIntegerField(_("loss when dpd exceeds"))
    restructured_floor = models.CharField(
        _("floor during observation"),
        max_length=20,
        choices=Classification.choices,
        default=Classification.SPECIAL_MENTION,
    )
    restructured_again_floor = models.CharField(
        _("floor when restructured again"),
        max_length=20,
        choices=Classification.choices,
        default=Classification.SUBSTANDARD,
    )
    observation_months = models.PositiveIntegerField(_("observation period (months)"), default=12)
    observation_periods = models.PositiveIntegerField(_("observation period (repayment periods)"), default=2)
    upgrade_months = models.PositiveIntegerField(
        _("upgrade after (months of normal repayment)"),
        default=6,
        help_text=_(
            "A non-performing loan whose arrears are repaid may be upgraded after this many months …"
        ),
    )
    upgrade_periods = models.PositiveIntegerField(
        _("upgrade after (repayment periods)"),
        default=2,
        help_text=_("… or this many repayment periods of normal repayment, whichever comes first."),
    )
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("classification rule")
        verbose_name_plural = _("classification rules")
        ordering = ["scale", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "effective_from"], name="classification_rule_version")
        ]

    def __str__(self) -> str:
        return f"{self.get_scale_display()} {self.effective_from}"


# --- statutory tables for litigation (domain-rules.md §2–4, §6); value types and shipped versions: statutory.py ---


class RoundingMode(models.TextChoices):
    HALF_UP = "ROUND_HALF_UP", _("half up (四舍五入)")
    HALF_EVEN = "ROUND_HALF_EVEN", _("half to even")
    DOWN = "ROUND_DOWN", _("down (truncate)")
    UP = "ROUND_UP", _("up")


class RoundTo(models.IntegerChoices):
    FEN = 1, _("fen")
    JIAO = 10, _("jiao")
    YUAN = 100, _("yuan")


class FeeScale(models.Model):
    """A court-fee scale of 《诉讼费用交纳办法》 (domain-rules.md §2): `minimum` (fen) for amounts up to the first
    band, plus each band's rate on the part of the amount inside it, capped at `cap`. `bands` is a list of
    `{"above": "10000.00", "rate": "0.025"}` (yuan, fraction), increasing."""

    class Kind(models.TextChoices):
        ACCEPTANCE = "acceptance", _("Acceptance fee, property cases (案件受理费, art. 13)")
        PRESERVATION = "preservation", _("Preservation fee (申请保全费, art. 14(2))")
        ENFORCEMENT = "enforcement", _("Enforcement fee (申请执行费, art. 14(1))")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    effective_from = models.DateField(_("effective from"))
    minimum = models.BigIntegerField(_("minimum fee (fen)"))
    bands = models.JSONField(_("bands"), default=list)
    cap = models.BigIntegerField(_("cap (fen)"), null=True, blank=True)
    halve_twice = models.BooleanField(
        _("halve twice"),
        default=False,
        help_text=_(
            "Whether simplified procedure together with mediation or withdrawal halves the fee twice."
        ),
    )
    rounding = models.CharField(
        _("rounding"), max_length=20, choices=RoundingMode.choices, default=RoundingMode.HALF_UP
    )
    round_to = models.PositiveSmallIntegerField(_("round to"), choices=RoundTo.choices, default=RoundTo.FEN)
    basis = models.CharField(_("basis"), max_length=400, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("court-fee scale")
        verbose_name_plural = _("court-fee scales")
        ordering = ["kind", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["kind", "effective_from"], name="fee_scale_version")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.effective_from}"


class StatutoryPeriod(models.Model):
    """A statutory period (appeal, enforcement application, limitation, guarantee, …; domain-rules.md §2, §4, §6)
    counted from the day after its trigger date; `moves_off_rest_days`: a last day on a statutory holiday or rest
    day moves to the next working day (民事诉讼法 art. 85, 民法典 art. 203)."""

    class Unit(models.TextChoices):
        DAY = "day", _("days")
        MONTH = "month", _("months")
        YEAR = "year", _("years")

    kind = models.SlugField(_("kind"), max_length=40)
    effective_from = models.DateField(_("effective from"))
    length = models.PositiveIntegerField(_("length"))
    unit = models.CharField(_("unit"), max_length=5, choices=Unit.choices)
    moves_off_rest_days = models.BooleanField(_("moves off rest days"), default=True)
    label = models.CharField(_("label"), max_length=120)
    starts = models.CharField(_("counted from"), max_length=300)
    basis = models.CharField(_("basis"), max_length=400)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("statutory period")
        verbose_name_plural = _("statutory periods")
        ordering = ["kind", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "effective_from"], name="statutory_period_version"),
            models.CheckConstraint(condition=models.Q(length__gt=0), name="statutory_period_length"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.effective_from}"


class PrimeRate(models.Model):
    """The Loan Prime Rate (贷款市场报价利率) fixings, each in force from its date until the next (domain-rules.md
    §3.3); the private-lending cap is 4 × the one-year rate in force when the contract was formed."""

    effective_from = models.DateField(_("fixing date"), unique=True)
    one_year = models.DecimalField(_("one-year LPR"), max_digits=9, decimal_places=6)
    five_year = models.DecimalField(_("five-year LPR"), max_digits=9, decimal_places=6, null=True, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("loan prime rate")
        verbose_name_plural = _("loan prime rates")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"LPR {self.effective_from} {self.one_year}"


class InterestCap(models.Model):
    """The most interest and charges a court supports a year on outstanding principal (domain-rules.md §3): a fixed
    rate (financial institutions, 24%) or a multiple of the one-year LPR at contract formation (private lending)."""

    class Regime(models.TextChoices):
        FINANCIAL_INSTITUTION = "financial_institution", _("Financial institutions")
        PRIVATE_LENDING = "private_lending", _("Private lending (民间借贷)")

    class DayCount(models.IntegerChoices):
        D360 = 360, "360"
        D365 = 365, "365"

    regime = models.CharField(_("regime"), max_length=30, choices=Regime.choices)
    effective_from = models.DateField(_("effective from"))
    annual_rate = models.DecimalField(_("annual rate"), max_digits=9, decimal_places=6, null=True, blank=True)
    lpr_multiple = models.DecimalField(
        _("multiple of the one-year LPR"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    day_count = models.PositiveSmallIntegerField(_("day count"), choices=DayCount.choices, default=365)
    rounding = models.CharField(
        _("rounding"), max_length=20, choices=RoundingMode.choices, default=RoundingMode.HALF_UP
    )
    round_to = models.PositiveSmallIntegerField(_("round to"), choices=RoundTo.choices, default=RoundTo.FEN)
    basis = models.CharField(_("basis"), max_length=400, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("interest cap")
        verbose_name_plural = _("interest caps")
        ordering = ["regime", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["regime", "effective_from"], name="interest_cap_version"),
            models.CheckConstraint(
                condition=models.Q(annual_rate__isnull=True, lpr_multiple__isnull=False)
                | models.Q(annual_rate__isnull=False, lpr_multiple__isnull=True),
                name="interest_cap_rate_or_multiple",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_regime_display()} {self.effective_from}"


class SmallClaimsThreshold(models.Model):
    """A province's small-claims ceiling for a year, published by its High Court (domain-rules.md §4): 50% of the
    previous-year average annual wage of employed persons; up to 2 × that wage when both parties agree."""

    province = models.CharField(_("province"), max_length=20, help_text=_("Short name, e.g. 浙江."))
    year = models.PositiveSmallIntegerField(_("year"))
    threshold = models.BigIntegerField(_("threshold (fen)"))
    agreed_limit = models.BigIntegerField(_("limit by agreement (fen)"), null=True, blank=True)
    average_wage = models.BigIntegerField(_("previous-year average wage (fen)"), null=True, blank=True)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("small-claims threshold")
        verbose_name_plural = _("small-claims thresholds")
        ordering = ["province", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["province", "year"], name="small_claims_threshold_year")
        ]

    def __str__(self) -> str:
        return f"{self.province} {self.year}"
