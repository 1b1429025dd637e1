"""The industry-convention bucket set M0…M7+ (domain-rules.md §10.1) as the default."""

from django.db import migrations

BUCKETS = [
    ("M0", "M0 正常", 0, 0),
    ("M1", "M1 (1–30)", 1, 30),
    ("M2", "M2 (31–60)", 31, 60),
    ("M3", "M3 (61–90)", 61, 90),
    ("M4", "M4 (91–120)", 91, 120),
    ("M5", "M5 (121–150)", 121, 150),
    ("M6", "M6 (151–180)", 151, 180),
    ("M7+", "M7+ (181+)", 181, None),
]


def seed(apps, schema_editor):
    bucket_set_model = apps.get_model("delinquency", "BucketSet")
    bucket_model = apps.get_model("delinquency", "Bucket")
    if bucket_set_model.objects.exists():
        return
    bucket_set = bucket_set_model.objects.create(name="M0–M7+", is_default=True)
    bucket_model.objects.bulk_create(
        bucket_model(bucket_set=bucket_set, code=c, name=n, min_days=lo, max_days=hi) for c, n, lo, hi in BUCKETS
    )


class Migration(migrations.Migration):
    dependencies = [("delinquency", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
