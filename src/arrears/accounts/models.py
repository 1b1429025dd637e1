"""Users, roles and teams. A user's role decides what they may do; their team decides which portfolios they see."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COLLECTOR = "collector", _("Collector")
    TEAM_LEAD = "team_lead", _("Team lead")
    LEGAL = "legal", _("Legal")
    MANAGER = "manager", _("Manager")
    COMPLIANCE = "compliance", _("Compliance")
    ADMIN = "admin", _("Administrator")


class Team(models.Model):
    """A collection or legal team. `lenders` scopes which referring parties' portfolios the team works."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    lenders = models.JSONField(
        _("lenders"), default=list, blank=True, help_text=_("Empty means every lender.")
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Agency(models.Model):
    """An outside collection agency or law firm that cases are placed with (委外). Its users see only the cases
    placed with it, while placed; access ends with the contract (`active`)."""

    class Kind(models.TextChoices):
        AGENCY = "agency", _("Collection agency")
        LAW_FIRM = "law_firm", _("Law firm")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.AGENCY)
    active = models.BooleanField(_("active"), default=True, help_text=_("Off at the end of the contract."))
    contract_end = models.DateField(_("contract ends"), null=True, blank=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.COLLECTOR)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="members",
        help_text=_("A user of an outside agency sees only the cases placed with it."),
    )  # fmt: skip
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    skills = models.JSONField(
        _("skills"), default=list, blank=True,
        help_text=_('e.g. "legal", "lang:en", "region:广东省" (a collector with regions takes only those).'),
    )  # fmt: skip
    max_open_cases = models.PositiveIntegerField(
        _("capacity (open cases)"), null=True, blank=True, help_text=_("Empty: no limit.")
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


class ApiToken(models.Model):
    """A bearer token for integrations (`Authorization: Bearer <token>`). Only a hash is stored; the token is
    shown once when created. It acts as its user, with the user's role and visibility."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
