"""Plans join the authority matrix: every existing version gets the shipped limits for approving plans (a team
lead up to 100,000 yuan, a manager or an administrator any amount); a collector's plans go to the queue."""

from decimal import Decimal

from django.db import migrations

PLAN_LIMITS = [("team_lead", 10_000_000), ("manager", None), ("admin", None)]


def add_plan_limits(apps, schema_editor):  # type: ignore[no-untyped-def]
    limit = apps.get_model("negotiation", "AuthorityLimit")
    versions = set(limit.objects.values_list("effective_from", flat=True))
    limit.objects.bulk_create(
        limit(effective_from=version, role=role, component="plan", max_share=Decimal(1), max_amount=cap)
        for version in versions
        for role, cap in PLAN_LIMITS
        if not limit.objects.filter(effective_from=version, role=role, component="plan").exists()
    )


class Migration(migrations.Migration):
    dependencies = [("negotiation", "0003_plans_settlements")]

    operations = [migrations.RunPython(add_plan_limits, migrations.RunPython.noop)]
