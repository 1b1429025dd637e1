from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NegotiationConfig(AppConfig):
    name = "arrears.negotiation"
    verbose_name = _("Negotiation")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from arrears.negotiation.services import seed_limits, seed_policy

        post_migrate.connect(seed_policy, sender=self)
        post_migrate.connect(seed_limits, sender=self)
