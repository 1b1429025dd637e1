"""Rule tables as of business dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.db import DatabaseError

from arrears.core.errors import DomainError, NotFound
from arrears.core.money import MoneyError, parse_yuan
from arrears.rules import statutory
from arrears.rules.models import (
    ClassificationRule,
    FeeScale,
    InterestCap,
    PrimeRate,
    SmallClaimsThreshold,
    StatutoryPeriod,
)


def classification_rules(dates: Iterable[dt.date]) -> dict[dt.date, dict[str, ClassificationRule]]:
    """Per date, each scale's version in force on it (the latest effective on or before it). One query, however
    many dates."""
    versions = list(ClassificationRule.objects.order_by("-effective_from"))
    in_force: dict[dt.date, dict[str, ClassificationRule]] = {}
    for day in dates:
        in_force[day] = {}
        for scale in ClassificationRule.Scale.values:
            rule = next((r for r in versions if r.scale == scale and r.effective_from <= day), None)
            if rule is None:
                raise NotFound(f"no {scale} classification rule is in force on {day}")
            in_force[day][scale] = rule
    return in_force


def statutory_rulebook() -> statutory.Rulebook:
    """Every version of the statutory tables in the database (five small queries), as the calculators' `Rulebook`.
    Raises `DatabaseError` when the tables are not there (see `rulebook`)."""
    try:
        return statutory.Rulebook(
            fee_scales=tuple(_fee_scale(row) for row in FeeScale.objects.all()),
            periods=tuple(
                statutory.Period(
                    kind=row.kind,
                    effective_from=row.effective_from,
                    length=row.length,
                    unit=row.unit,
                    moves_off_rest_days=row.moves_off_rest_days,
                    label=row.label,
                    starts=row.starts,
                    basis=row.basis,
                    source=row.source,
                )
                for row in StatutoryPeriod.objects.all()
            ),
            prime_rates=tuple(
                statutory.PrimeRate(row.effective_from, row.one_year, row.five_year, row.source)
                for row in PrimeRate.objects.all()
            ),
            interest_caps=tuple(
                statutory.InterestCapRule(
                    regime=row.regime,
                    effective_from=row.effective_from,
                    annual_rate=row.annual_rate,
                    lpr_multiple=row.lpr_multiple,
                    day_count=row.day_count,
                    rounding=statutory.Rounding(row.rounding, row.round_to),
                    basis=row.basis,
                    source=row.source,
                )
                for row in InterestCap.objects.all()
            ),
            small_claims=tuple(
                statutory.SmallClaimsThreshold(
                    province=row.province,
                    year=row.year,
                    threshold=row.threshold,
                    agreed_limit=row.agreed_limit,
                    average_wage=row.average_wage,
                    effective_from=row.effective_from,
                    source=row.source,
                )
                for row in SmallClaimsThreshold.objects.all()
            ),
            origin="database",
        )
    except ValueError as exc:
        raise DomainError(f"a statutory rule table holds an invalid row: {exc}") from exc


def rulebook() -> statutory.Rulebook:
    """The statutory tables from the database, or the shipped versions when there is no migrated database (a fresh
    checkout running `arrears calc`): `origin` says which."""
    try:
        return statutory_rulebook()
    except DatabaseError:
        return statutory.SHIPPED


def _fee_scale(row: FeeScale) -> statutory.FeeScale:
    try:
        bands = tuple(
            statutory.FeeBand(parse_yuan(str(band["above"])), Decimal(str(band["rate"])))
            for band in row.bands
        )
    except (KeyError, TypeError, MoneyError, InvalidOperation) as exc:
        raise ValueError(
            f"{row}: bands must be a list of {{'above': yuan, 'rate': fraction}} ({exc})"
        ) from exc
    return statutory.FeeScale(
        kind=row.kind,
        effective_from=row.effective_from,
        minimum=row.minimum,
        bands=bands,
        cap=row.cap,
        halve_twice=row.halve_twice,
        rounding=statutory.Rounding(row.rounding, row.round_to),
        basis=row.basis,
        source=row.source,
    )
