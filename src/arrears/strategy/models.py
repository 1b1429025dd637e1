"""Collection strategy as data (issue 5): segments of cases, treatment paths, the arms a segment runs
(champion/challenger) and each case's stay on an arm (`Treatment`), from which the outcomes per arm are reported.
The logic is `batch.steps.strategy`; `strategy.services` applies it at every close."""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class TreatmentPath(models.Model):
    """An ordered list of steps (`batch.steps.strategy.Step`: channel, template, wait days, escalation)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    steps = models.JSONField(_("steps"), default=list)
    repeat = models.BooleanField(_("repeat"), default=False, help_text=_("Start over after the last step."))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("treatment path")
        verbose_name_plural = _("treatment paths")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Segment(models.Model):
    """Cases whose facts meet every condition (`{field, op, value}`); the lowest `priority` wins when several
    match. `required_skills`: what a collector must have to be given its cases (e.g. "legal", "lang:en")."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    priority = models.PositiveIntegerField(_("priority"), default=100)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    required_skills = models.JSONField(_("required skills"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["priority", "pk"]

    def __str__(self) -> str:
        return self.name


class Arm(models.Model):
    """A path a segment runs for a share of its cases (basis points, 10,000 = all). One arm is the champion."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="arms")
    path = models.ForeignKey(TreatmentPath, on_delete=models.PROTECT, related_name="arms")
    basis_points = models.PositiveIntegerField(
        _("share (basis points)"), validators=[MaxValueValidator(10_000)]
    )
    champion = models.BooleanField(_("champion"), default=False)

    class Meta:
        verbose_name = _("arm")
        verbose_name_plural = _("arms")
        ordering = ["segment", "-champion", "path"]
        constraints = [models.UniqueConstraint(fields=["segment", "path"], name="one_arm_per_path")]

    def __str__(self) -> str:
        return f"{self.segment} → {self.path} ({self.basis_points / 100:g}%)"


class Treatment(models.Model):
    """A case's stay on one arm, from entry to exit (arm changed, case closed), with the facts at both ends: the
    outcomes per arm (cure, recovery, roll forward) are computed from these."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="treatments")
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="treatments")
    path = models.ForeignKey(TreatmentPath, on_delete=models.PROTECT, related_name="treatments")
    started_on = models.DateField(_("started"))
    ended_on = models.DateField(_("ended"), null=True, blank=True)
    entry_dpd = models.PositiveIntegerField(_("days past due at entry"))
    entry_bucket = models.CharField(_("bucket at entry"), max_length=20, blank=True)
    entry_overdue = models.BigIntegerField(_("overdue at entry (fen)"))
    exit_dpd = models.PositiveIntegerField(_("days past due at exit"), null=True, blank=True)
    exit_bucket = models.CharField(_("bucket at exit"), max_length=20, blank=True)
    exit_overdue = models.BigIntegerField(_("overdue at exit (fen)"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, blank=True)  # a closed reason, or "moved"

    class Meta:
        verbose_name = _("treatment")
        verbose_name_plural = _("treatments")
        indexes = [models.Index(fields=["case", "ended_on"]), models.Index(fields=["segment", "path"])]

    def __str__(self) -> str:
        return f"case {self.case_id} on {self.path_id} from {self.started_on}"
