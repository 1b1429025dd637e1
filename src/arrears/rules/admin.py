from django.contrib import admin

from arrears.rules.models import ClassificationRule


@admin.register(ClassificationRule)
class ClassificationRuleAdmin(admin.ModelAdmin):
    list_display = ["scale", "effective_from", "substandard_after", "doubtful_after", "loss_after", "source"]
    list_filter = ["scale"]
