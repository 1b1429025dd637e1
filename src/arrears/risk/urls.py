"""The risk pages: models (with their approval) and the rule scorecard."""

from django.urls import path

from arrears.risk import views

app_name = "risk"

urlpatterns = [
    path("", views.model_list, name="models"),
    path("models/<int:model_id>/", views.model_detail, name="model_detail"),
    path("models/<int:model_id>/approve/", views.approve_model, name="approve_model"),
    path("scorecard/", views.scorecard_page, name="scorecard"),
    path("scorecard/<int:scorecard_id>/", views.scorecard_page, name="scorecard_version"),
    path("scorecard/<int:scorecard_id>/approve/", views.approve_scorecard, name="approve_scorecard"),
]
