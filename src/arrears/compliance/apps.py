from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "arrears.compliance"
    verbose_name = _("Compliance")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from arrears.compliance.services import seed_packs

        post_migrate.connect(seed_packs, sender=self)
