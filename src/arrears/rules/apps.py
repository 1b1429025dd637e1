from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RulesConfig(AppConfig):
    name = "arrears.rules"
    verbose_name = _("Rules")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from arrears.rules.services import seed_rules

        post_migrate.connect(seed_rules, sender=self)
