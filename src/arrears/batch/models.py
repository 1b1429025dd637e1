"""Runs of the daily close: what ran, how long each step took, which loans could not be computed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CobRun(models.Model):
    """One business date closed. At most one run is `running` at a time (the database enforces it)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    as_of = models.DateField(_("business date"), db_index=True, help_text=_("The last date closed."))
    from_date = models.DateField(_("first date closed"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"))
    host = models.CharField(max_length=200, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    workers = models.PositiveSmallIntegerField(default=1)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    loans = models.PositiveIntegerField(_("loans"), default=0)
    steps = models.JSONField(_("steps"), default=list, blank=True)
    problems = models.JSONField(_("loans skipped"), default=list, blank=True)
    problem_count = models.PositiveIntegerField(_("loans skipped"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("close-of-business run")
        verbose_name_plural = _("close-of-business runs")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="running"), name="one_running_cob")
        ]

    def __str__(self) -> str:
        return f"COB {self.as_of} ({self.status})"
