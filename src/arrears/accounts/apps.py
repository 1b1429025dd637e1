from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "arrears.accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from arrears.accounts.services import seed_roles

        post_migrate.connect(seed_roles, sender=self)
