"""Waiver requests become concessions (waivers, settlements and repayment plans share one approval queue); the
free-text reason becomes the explanation, next to a reason code."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("negotiation", "0001_initial")]

    operations = [
        migrations.RenameModel("WaiverRequest", "Concession"),
        migrations.RenameField("concession", "reason", "note"),
    ]
