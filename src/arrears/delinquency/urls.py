"""Actions of the loan page's delinquency panel; each answers with the panel (HTMX) or a redirect."""

from django.urls import path

from arrears.delinquency import views

app_name = "delinquency"

urlpatterns = [
    path("loans/<str:loan_id>/pauses/", views.add_pause, name="pause"),
    path("loans/<str:loan_id>/pauses/<int:pause_id>/resume/", views.resume_pause, name="resume"),
    path("loans/<str:loan_id>/classification/", views.request_classification, name="request_classification"),
    path(
        "loans/<str:loan_id>/classification/<int:override_id>/decide/",
        views.decide_classification,
        name="decide_classification",
    ),
]
