from django.contrib import admin

from arrears.rules.models import (
    ClassificationRule,
    FeeScale,
    InterestCap,
    PrimeRate,
    SmallClaimsThreshold,
    StatutoryPeriod,
)


@admin.register(ClassificationRule)
class ClassificationRuleAdmin(admin.ModelAdmin):
    list_display = ["scale", "effective_from", "substandard_after", "doubtful_after", "loss_after", "source"]
    list_filter = ["scale"]


@admin.register(FeeScale)
class FeeScaleAdmin(admin.ModelAdmin):
    list_display = ["kind", "effective_from", "minimum", "cap", "halve_twice", "rounding", "round_to"]
    list_filter = ["kind"]


@admin.register(StatutoryPeriod)
class StatutoryPeriodAdmin(admin.ModelAdmin):
    list_display = ["kind", "effective_from", "length", "unit", "moves_off_rest_days", "label"]
    list_filter = ["unit", "moves_off_rest_days"]
    search_fields = ["kind", "label"]


@admin.register(PrimeRate)
class PrimeRateAdmin(admin.ModelAdmin):
    list_display = ["effective_from", "one_year", "five_year", "source"]


@admin.register(InterestCap)
class InterestCapAdmin(admin.ModelAdmin):
    list_display = ["regime", "effective_from", "annual_rate", "lpr_multiple", "day_count"]
    list_filter = ["regime"]


@admin.register(SmallClaimsThreshold)
class SmallClaimsThresholdAdmin(admin.ModelAdmin):
    list_display = ["province", "year", "threshold", "agreed_limit", "effective_from"]
    list_filter = ["province"]
