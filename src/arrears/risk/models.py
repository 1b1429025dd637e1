"""Risk configuration and model versions. The scores themselves live on `delinquency.LoanStatus` (the close writes
them with the rest of the loan's state)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Approval(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    RETIRED = "retired", _("Retired")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Scorecard(models.Model):
    """A version of the rule scorecard (`risk.scorecard.Definition` as JSON). The batch uses the approved version
    with the latest `effective_from` on or before the business date."""

    name = models.CharField(_("name"), max_length=100)
    effective_from = models.DateField(_("effective from"))
    definition = models.JSONField(_("definition"))
    status = models.CharField(_("status"), max_length=10, choices=Approval.choices, default=Approval.DRAFT)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["-effective_from", "-pk"]
        constraints = [models.UniqueConstraint(fields=["name", "effective_from"], name="scorecard_version")]

    def __str__(self) -> str:
        return f"{self.name} {self.effective_from} ({self.status})"


class RiskModel(models.Model):
    """A version of a statistical model (`risk.modeling`'s JSON), with what it was trained on and how it scored
    in cross-validation. Only an approved version scores production loans; approving one retires the last."""

    name = models.CharField(_("name"), max_length=100)
    version = models.PositiveIntegerField(_("version"))
    kind = models.CharField(_("kind"), max_length=20)
    artifact = models.JSONField(_("model"))
    description = models.TextField(_("training data"), blank=True)
    metrics = models.JSONField(_("cross-validation"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=Approval.choices, default=Approval.DRAFT)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField(_("registered"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    class Meta:
        verbose_name = _("risk model")
        verbose_name_plural = _("risk models")
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="risk_model_version"),
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="approved"), name="one_approved_risk_model"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version} ({self.status})"

    @property
    def features(self) -> list[str]:
        return [f["name"] for f in self.artifact.get("features", [])]


class ModelMonitor(models.Model):
    """What the close saw when it scored with a model on `as_of`: the share of loans in each bin of every feature
    and of the score, and the PSI of each against the training population."""

    model = models.ForeignKey(RiskModel, on_delete=models.CASCADE, related_name="monitors")
    as_of = models.DateField(_("as of"))
    rows = models.PositiveIntegerField(_("loans scored"))
    feature_shares = models.JSONField(default=dict)
    score_shares = models.JSONField(default=list)
    psi = models.JSONField(_("PSI"), default=dict)  # {"score": x, "features": {name: x}}

    class Meta:
        verbose_name = _("model monitor")
        ordering = ["-as_of"]
        constraints = [models.UniqueConstraint(fields=["model", "as_of"], name="one_monitor_per_day")]

    def __str__(self) -> str:
        return f"{self.model} @ {self.as_of}"
