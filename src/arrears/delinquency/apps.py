from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DelinquencyConfig(AppConfig):
    name = "arrears.delinquency"
    verbose_name = _("Delinquency")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from arrears.delinquency.services import seed_default_bucket_set

        post_migrate.connect(seed_default_bucket_set, sender=self)
