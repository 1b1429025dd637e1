"""The case lifecycle as data: states, and the transitions allowed between them with who may make them and
whether a reason is required (issue 5). Services consult `check`; nothing else decides what may follow what.

new → contacting → negotiating → escalated (notice, visit) → legal → enforcement → closed, with back-steps:
a broken promise or plan returns a case to contacting, an escalation can be withdrawn, a legal referral returned.
Closing needs an outcome (`CLOSED_REASONS`); the batch closes a case as `cured` when every loan is current again.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from arrears.accounts.roles import MANAGE_CASES, WORK_CASES

NEW, CONTACTING, NEGOTIATING, ESCALATED, LEGAL, ENFORCEMENT, CLOSED = (
    "new", "contacting", "negotiating", "escalated", "legal", "enforcement", "closed",
)  # fmt: skip
STATES = [NEW, CONTACTING, NEGOTIATING, ESCALATED, LEGAL, ENFORCEMENT, CLOSED]
STATE_LABELS = {
    NEW: _("New"),
    CONTACTING: _("Contacting"),
    NEGOTIATING: _("Negotiating"),
    ESCALATED: _("Escalated"),
    LEGAL: _("Legal"),
    ENFORCEMENT: _("Enforcement"),
    CLOSED: _("Closed"),
}
CLOSED_REASONS = {
    "cured": _("Cured"),
    "paid": _("Paid in full"),
    "settled": _("Settled"),
    "written_off": _("Written off"),
    "sold": _("Sold"),
    "uncollectable": _("Uncollectable"),
}


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    capability: str  # what the user must be able to do (accounts.roles)
    reason_required: bool = False


TRANSITIONS = [
    Transition(NEW, CONTACTING, WORK_CASES),
    Transition(CONTACTING, NEGOTIATING, WORK_CASES),
    Transition(NEGOTIATING, CONTACTING, WORK_CASES, reason_required=True),  # a broken promise or plan
    Transition(CONTACTING, ESCALATED, WORK_CASES, reason_required=True),
    Transition(NEGOTIATING, ESCALATED, WORK_CASES, reason_required=True),
    Transition(ESCALATED, CONTACTING, MANAGE_CASES, reason_required=True),  # escalation withdrawn
    Transition(ESCALATED, NEGOTIATING, WORK_CASES),
    Transition(ESCALATED, LEGAL, MANAGE_CASES, reason_required=True),
    Transition(LEGAL, ESCALATED, MANAGE_CASES, reason_required=True),  # referral returned
    Transition(LEGAL, NEGOTIATING, MANAGE_CASES, reason_required=True),  # settling in the course of a suit
    Transition(LEGAL, ENFORCEMENT, MANAGE_CASES),
    *(Transition(s, CLOSED, MANAGE_CASES, reason_required=True) for s in STATES if s != CLOSED),
]
ALLOWED = {(t.source, t.target): t for t in TRANSITIONS}


def allowed_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == state]


def find(source: str, target: str) -> Transition | None:
    return ALLOWED.get((source, target))
