"""Contact with borrowers, guarantors and third parties (issue 6): message templates, the outbox every outbound
message goes through, the call log and field visits. Every attempt asks the compliance guard first
(`compliance.services.check`); every communication is appended to the evidence log (`audit.services`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

CHANNELS = [
    ("call", _("Call")),
    ("sms", _("SMS")),
    ("email", _("Email")),
    ("letter", _("Letter")),
    ("chat", _("Chat / in-app")),
    ("visit", _("Field visit")),
]
PARTIES = [("debtor", _("Debtor")), ("guarantor", _("Guarantor")), ("third_party", _("Third party"))]
ELECTRONIC = {"sms", "email", "chat"}


class Template(models.Model):
    """A message per channel and language, versioned: a change is a new version, approved (by someone other than
    its author) before its first use. `body` (and `subject`) use Django template syntax over the variables in
    `contact.services.VARIABLES`; letters are rendered from the Word file in `docx` (docxtpl) when there is one."""

    class Purpose(models.TextChoices):
        REMINDER = "reminder", _("Reminder")
        DEMAND = "demand", _("Demand")
        NOTICE = "notice", _("Notice")
        THIRD_PARTY = "third_party", _("Third party (no debt details)")

    code = models.CharField(_("code"), max_length=64)
    version = models.PositiveIntegerField(_("version"), default=1)
    channel = models.CharField(
        _("channel"), max_length=10, choices=[c for c in CHANNELS if c[0] not in {"call", "visit"}]
    )
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.REMINDER)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    docx = models.BinaryField(_("Word template"), null=True, blank=True)
    discloses_debt = models.BooleanField(
        _("discloses the debt"), default=True, help_text=_("Off only for messages a third party may receive.")
    )
    opt_out = models.BooleanField(_("carries an opt-out"), default=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["code", "language", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "language", "version"], name="template_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version} ({self.language}, {self.channel})"

    @property
    def approved(self) -> bool:
        return self.approved_at is not None


class Message(models.Model):
    """An outbound message (SMS, email, chat, letter) in the outbox. It is claimed before it is handed to its
    channel, so a crash never sends it twice: a claim that never finished is resent only through a channel that
    de-duplicates by `key` (the SMS gateway does), otherwise it waits for a person (`uncertain`)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        DENIED = "denied", _("Denied by the guard")
        UNCERTAIN = "uncertain", _("Uncertain (check with the channel)")
        CANCELLED = "cancelled", _("Cancelled")

    key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="messages")
    channel = models.CharField(_("channel"), max_length=10, choices=CHANNELS)
    party = models.CharField(_("party"), max_length=20, choices=PARTIES, default="debtor")
    address = models.CharField(_("to"), max_length=254)
    template = models.ForeignKey(Template, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=20, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("content"))
    content_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    tries = models.PositiveIntegerField(_("tries"), default=0)
    next_try_at = models.DateTimeField(_("next try"), db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    provider_id = models.CharField(_("channel reference"), max_length=100, blank=True)
    tracking_number = models.CharField(_("registered mail number"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    rule = models.CharField(_("guard rule"), max_length=64, blank=True)
    reason = models.TextField(_("guard reason"), blank=True)
    source = models.CharField(_("source"), max_length=20, default="person")  # person, strategy, bulk
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_try_at"]),
            models.Index(fields=["case", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.address} ({self.status})"


class Call(models.Model):
    """A telephone call and its outcome, with its recording (kept content-addressed by SHA-256)."""

    OUTCOMES = [
        ("answered", _("Answered")),
        ("unanswered", _("No answer")),
        ("busy", _("Busy")),
        ("invalid_number", _("Invalid number")),
        ("wrong_party", _("Wrong party")),
        ("refused", _("Refused to talk")),
        ("promise_to_pay", _("Promise to pay")),
        ("dispute", _("Dispute")),
    ]
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="calls")
    party = models.CharField(_("party"), max_length=20, choices=PARTIES, default="debtor")
    number = models.CharField(_("number"), max_length=32)
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=OUTCOMES)
    note = models.TextField(_("note"), blank=True)
    recording_sha256 = models.CharField(_("recording SHA-256"), max_length=64, blank=True)
    recording_name = models.CharField(_("recording"), max_length=200, blank=True)
    collector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"call to {self.number} ({self.outcome})"


class Visit(models.Model):
    """A field visit: planned (when, where, who — at least two collectors under cn-cba-2026), then reported
    (outcome, report, photos by SHA-256)."""

    OUTCOMES = [
        ("met", _("Met the debtor")),
        ("promise_to_pay", _("Promise to pay")),
        ("not_home", _("Nobody home")),
        ("moved", _("Moved away")),
        ("refused", _("Refused to talk")),
        ("other", _("Other")),
    ]

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="visits")
    planned_for = models.DateTimeField(_("planned for"))
    place = models.CharField(_("place"), max_length=300)
    collectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("collectors")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    outcome = models.CharField(_("outcome"), max_length=20, blank=True)
    report = models.TextField(_("report"), blank=True)
    photos = models.JSONField(_("photos"), default=list, blank=True)  # [{name, sha256}]
    reported_at = models.DateTimeField(_("reported"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("field visit")
        verbose_name_plural = _("field visits")
        ordering = ["-planned_for", "-pk"]

    def __str__(self) -> str:
        return f"visit {self.planned_for:%Y-%m-%d} ({self.status})"


class CreditorProfile(models.Model):
    """What letters and messages say about the creditor: its name as the borrower knows it, how to reach it and
    how to dispute the debt (domain-rules §5.2 Art. 69: letters disclose the creditor, the amount and its basis,
    how to check and dispute it, and the contact details)."""

    lender = models.CharField(_("lender"), max_length=200, unique=True)
    display_name = models.CharField(_("name on letters"), max_length=200)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    dispute_instructions = models.TextField(_("how to dispute"), blank=True)
    # what a complaint says about the creditor as plaintiff (民事诉讼法 art. 124: name, domicile, representative)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    representative = models.CharField(
        _("legal representative or person in charge"), max_length=100, blank=True
    )

    class Meta:
        verbose_name = _("creditor profile")
        verbose_name_plural = _("creditor profiles")
        ordering = ["lender"]

    def __str__(self) -> str:
        return self.display_name
