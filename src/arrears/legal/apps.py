from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegalConfig(AppConfig):
    name = "arrears.legal"
    verbose_name = _("Legal")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from arrears.legal.services import seed_criteria

        post_migrate.connect(seed_criteria, sender=self)
