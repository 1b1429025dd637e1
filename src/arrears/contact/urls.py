"""Contact pages under /contact/: the outbox, and the case view's contact actions. No namespace, like the case
pages: "contact_…"."""

from django.urls import path

from arrears.contact import views

urlpatterns = [
    path("", views.outbox, name="contact_outbox"),
    path("messages/<int:message_id>/settle/", views.settle, name="contact_settle"),
    path("cases/<int:case_id>/preview/", views.preview, name="contact_preview"),
    path("cases/<int:case_id>/messages/", views.send, name="contact_send"),
    path(
        "cases/<int:case_id>/messages/<int:message_id>/delivered/",
        views.letter_delivered,
        name="contact_delivered",
    ),
    path("cases/<int:case_id>/calls/start/", views.start_call, name="contact_call_start"),
    path("cases/<int:case_id>/calls/", views.log_call, name="contact_call"),
    path("cases/<int:case_id>/visits/", views.plan_visit, name="contact_visit"),
    path(
        "cases/<int:case_id>/visits/<int:visit_id>/report/", views.report_visit, name="contact_visit_report"
    ),
]
