"""The classification floors in force: 2023 measures for loans, 2011 measures for credit cards (domain-rules.md §1)."""

import datetime as dt

from django.db import migrations

RULES = [
    dict(
        scale="general",
        effective_from=dt.date(2023, 7, 1),
        technical_grace_days=7,
        special_mention_after=0,
        substandard_after=90,
        doubtful_after=270,
        loss_after=360,
        source="《商业银行金融资产风险分类办法》(原银保监会、中国人民银行令〔2023〕第1号)",
    ),
    dict(
        scale="credit_card",
        effective_from=dt.date(2011, 1, 13),
        technical_grace_days=7,
        special_mention_after=0,
        substandard_after=90,
        doubtful_after=120,
        loss_after=180,
        source="《商业银行信用卡业务监督管理办法》(银监会令2011年第2号)",
    ),
]


def seed(apps, schema_editor):
    rule = apps.get_model("rules", "ClassificationRule")
    for row in RULES:
        rule.objects.get_or_create(scale=row["scale"], effective_from=row["effective_from"], defaults=row)


class Migration(migrations.Migration):
    dependencies = [("rules", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
