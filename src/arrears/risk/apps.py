from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "arrears.risk"
    verbose_name = _("Risk")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from arrears.risk.services import seed_default_scorecard

        post_migrate.connect(seed_default_scorecard, sender=self)
