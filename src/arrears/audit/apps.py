from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "arrears.audit"
    verbose_name = "Audit"
