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
