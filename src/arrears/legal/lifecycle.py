"""The litigation pipeline as data (issue 8): a matter's stages, the steps allowed between them with who may take
them and what each needs, the actions recorded within a stage, and the deadlines a step starts. Services consult
`find`/`action`; nothing else decides what may follow what.

referred → approved (or returned) → assigned → investigating ⇄ drafting → filed → accepted (立案) → hearing →
judged | mediated → effective → enforcement applied → enforcing → closed (fully enforced, 终本, withdrawn, settled).
A judgment may be appealed (judged → hearing: the second instance); a case may be withdrawn (撤诉) or settled at any
point after approval. The stages follow 民事诉讼法 (filing and acceptance arts. 122–127, first instance, appeal
art. 171, effectiveness, enforcement application art. 250, enforcement measures arts. 253–255, termination of the
current enforcement procedure 终结本次执行程序 per 民诉解释 art. 517); article numbers as in domain-rules.md §4
(2023 revision; UNCONFIRMED where the rules say so).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from arrears.accounts.roles import MANAGE_LEGAL, WORK_LEGAL

REFERRED, APPROVED, RETURNED, ASSIGNED = "referred", "approved", "returned", "assigned"
INVESTIGATING, DRAFTING, FILED, ACCEPTED, HEARING = (
    "investigating",
    "drafting",
    "filed",
    "accepted",
    "hearing",
)
JUDGED, MEDIATED, EFFECTIVE = "judged", "mediated", "effective"
ENFORCEMENT_APPLIED, ENFORCING, CLOSED = "enforcement_applied", "enforcing", "closed"
STAGES = [REFERRED, APPROVED, RETURNED, ASSIGNED, INVESTIGATING, DRAFTING, FILED, ACCEPTED, HEARING, JUDGED,
          MEDIATED, EFFECTIVE, ENFORCEMENT_APPLIED, ENFORCING, CLOSED]  # fmt: skip
STAGE_LABELS = {
    REFERRED: _("Referred"),
    APPROVED: _("Referral approved"),
    RETURNED: _("Referral returned"),
    ASSIGNED: _("Lawyer assigned"),
    INVESTIGATING: _("Asset investigation"),
    DRAFTING: _("Drafting"),
    FILED: _("Filed"),
    ACCEPTED: _("Accepted (立案)"),
    HEARING: _("Hearing"),
    JUDGED: _("Judgment"),
    MEDIATED: _("Mediation"),
    EFFECTIVE: _("Effective"),
    ENFORCEMENT_APPLIED: _("Enforcement applied"),
    ENFORCING: _("Enforcing"),
    CLOSED: _("Closed"),
}
ENDED = frozenset({RETURNED, CLOSED})  # a matter in these stages is over; a new referral is a new matter
# before filing: nothing is before a court yet
BEFORE_COURT = frozenset({REFERRED, APPROVED, ASSIGNED, INVESTIGATING, DRAFTING})

FULLY_ENFORCED, TERMINATED, WITHDRAWN, SETTLED = "fully_enforced", "terminated", "withdrawn", "settled"
CLOSURE_REASONS = {
    FULLY_ENFORCED: _("Fully enforced (执行完毕)"),
    TERMINATED: _("Enforcement terminated for now (终结本次执行程序, 终本)"),
    WITHDRAWN: _("Withdrawn (撤诉 / 撤回申请)"),
    SETTLED: _("Settled (和解)"),
}


@dataclass(frozen=True)
class Step:
    """A step from `source` to `target`: the capability it needs (accounts.roles), whether a reason must be
    given, the facts it must record (`requires`: StageRecord fields), and which closure reasons it may end with
    (a step to CLOSED only)."""

    source: str
    target: str
    capability: str
    reason_required: bool = False
    requires: tuple[str, ...] = ()
    closure_reasons: tuple[str, ...] = ()


_AFTER_APPROVAL = [ASSIGNED, INVESTIGATING, DRAFTING]
_BEFORE_JUDGMENT = [FILED, ACCEPTED, HEARING]
STEPS = [
    # referral (issue 8 §1): approved or returned by someone other than the referrer (services.decide_referral)
    Step(REFERRED, APPROVED, MANAGE_LEGAL),
    Step(REFERRED, RETURNED, MANAGE_LEGAL, reason_required=True),
    # lawyer or firm (§2): services.assign
    Step(APPROVED, ASSIGNED, MANAGE_LEGAL),
    Step(ASSIGNED, INVESTIGATING, WORK_LEGAL),
    Step(ASSIGNED, DRAFTING, WORK_LEGAL),
    Step(INVESTIGATING, DRAFTING, WORK_LEGAL),
    Step(DRAFTING, INVESTIGATING, WORK_LEGAL),
    *(Step(s, FILED, WORK_LEGAL, requires=("court",)) for s in _AFTER_APPROVAL),
    Step(FILED, ACCEPTED, WORK_LEGAL, requires=("court", "case_number")),  # 立案: the court's case number
    Step(ACCEPTED, HEARING, WORK_LEGAL),
    *(Step(s, MEDIATED, WORK_LEGAL, requires=("amount_awarded",)) for s in (ACCEPTED, HEARING)),
    *(Step(s, JUDGED, WORK_LEGAL, requires=("amount_awarded",)) for s in (ACCEPTED, HEARING)),
    Step(JUDGED, HEARING, WORK_LEGAL, reason_required=True),  # appealed: the second instance
    Step(JUDGED, EFFECTIVE, WORK_LEGAL),
    Step(MEDIATED, EFFECTIVE, WORK_LEGAL),
    Step(
        EFFECTIVE, ENFORCEMENT_APPLIED, WORK_LEGAL, requires=("court", "case_number")
    ),  # the enforcement number
    Step(ENFORCEMENT_APPLIED, ENFORCING, WORK_LEGAL),
    # closure: fully enforced or 终本 after enforcement; paid or settled once effective; withdrawn or settled
    # any time after approval
    Step(
        ENFORCING,
        CLOSED,
        MANAGE_LEGAL,
        reason_required=True,
        closure_reasons=(FULLY_ENFORCED, TERMINATED, WITHDRAWN, SETTLED),
    ),
    Step(
        ENFORCEMENT_APPLIED,
        CLOSED,
        MANAGE_LEGAL,
        reason_required=True,
        closure_reasons=(FULLY_ENFORCED, WITHDRAWN, SETTLED),
    ),
    Step(EFFECTIVE, CLOSED, MANAGE_LEGAL, reason_required=True, closure_reasons=(FULLY_ENFORCED, SETTLED)),
    *(
        Step(s, CLOSED, MANAGE_LEGAL, reason_required=True, closure_reasons=(WITHDRAWN, SETTLED))
        for s in [APPROVED, *_AFTER_APPROVAL, *_BEFORE_JUDGMENT, JUDGED, MEDIATED]
    ),
]
ALLOWED = {(s.source, s.target): s for s in STEPS}


def find(source: str, target: str) -> Step | None:
    return ALLOWED.get((source, target))


def allowed_from(stage: str) -> list[Step]:
    return [s for s in STEPS if s.source == stage]


# --- actions within a stage -------------------------------------------------------------------------------------

HEARING_HELD, PRESERVATION, FREEZE, SEIZE, AUCTION, DISTRIBUTION, PAYMENT = (
    "hearing_held", "preservation", "freeze", "seize", "auction", "distribution", "payment",
)  # fmt: skip
ACTION_LABELS = {
    HEARING_HELD: _("Hearing held"),
    PRESERVATION: _("Property preservation (财产保全)"),
    FREEZE: _("Freeze (冻结)"),
    SEIZE: _("Seizure (查封 / 扣押)"),
    AUCTION: _("Auction (拍卖 / 变卖)"),
    DISTRIBUTION: _("Distribution (执行款分配)"),
    PAYMENT: _("Paid by the debtor"),
}
_COURT_STAGES = frozenset(
    {FILED, ACCEPTED, HEARING, JUDGED, MEDIATED, EFFECTIVE, ENFORCEMENT_APPLIED, ENFORCING}
)


@dataclass(frozen=True)
class Action:
    """Something recorded within a stage without moving the matter: in which stages, and what it must record."""

    name: str
    stages: frozenset[str]
    requires: tuple[str, ...] = ()


ACTIONS = {
    a.name: a
    for a in [
        Action(HEARING_HELD, frozenset({HEARING})),
        # 诉前保全 (before filing, once a lawyer has it) and 诉讼保全 (民事诉讼法 arts. 103–104): the asset's kind
        # decides how long the measure lasts (PRESERVATION_PERIODS)
        Action(
            PRESERVATION,
            frozenset({ASSIGNED, INVESTIGATING, DRAFTING}) | _COURT_STAGES - {EFFECTIVE},
            requires=("court", "asset_kind"),
        ),
        Action(FREEZE, frozenset({ENFORCING}), requires=("asset_kind",)),
        Action(SEIZE, frozenset({ENFORCING}), requires=("asset_kind",)),
        Action(AUCTION, frozenset({ENFORCING})),
        Action(DISTRIBUTION, frozenset({ENFORCING}), requires=("amount_recovered",)),
        Action(PAYMENT, _COURT_STAGES, requires=("amount_recovered",)),
    ]
}


def action(name: str) -> Action | None:
    return ACTIONS.get(name)


# --- deadlines --------------------------------------------------------------------------------------------------

APPEAL, ENFORCEMENT_APPLICATION, PRESERVATION_RENEWAL = (
    "appeal",
    "enforcement_application",
    "preservation_renewal",
)
DEADLINE_LABELS = {
    APPEAL: _("Appeal"),
    ENFORCEMENT_APPLICATION: _("Enforcement application"),
    PRESERVATION_RENEWAL: _("Preservation renewal"),
}
# Deadlines whose passing is not a failure: the appeal period passing without an appeal makes the judgment
# effective (it "lapses"); the others must be acted on before they pass or the right is lost ("missed").
OPTIONAL_DEADLINES = frozenset({APPEAL})
# What ends a deadline as done: reaching one of these stages (or renewing the preservation, services.renew)
DONE_AT = {
    APPEAL: frozenset({EFFECTIVE, HEARING}),
    ENFORCEMENT_APPLICATION: frozenset({ENFORCEMENT_APPLIED, ENFORCING}),
    PRESERVATION_RENEWAL: frozenset(),
}
# Follow-ups for the responsible person this many days before a deadline (issue 8: T-30, T-7, T-1)
REMINDER_DAYS = (30, 7, 1)
