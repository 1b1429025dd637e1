from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "arrears.core"
    verbose_name = "Core"
