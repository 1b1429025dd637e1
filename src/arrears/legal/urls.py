"""Legal pages under /legal/ (issue 8). No namespace: the navigation reverses the workspace as "legal"; the rest are
"legal_…"."""

from django.urls import path

from arrears.legal import views

urlpatterns = [
    path("", views.workspace, name="legal"),
    path("calendar/", views.calendar_view, name="legal_calendar"),
    path("referrals/", views.referrals, name="legal_referrals"),
    path("refer/<int:case_id>/", views.refer, name="legal_refer"),
    path("watch/", views.watch, name="legal_watch"),
    path("matters/<int:matter_id>/", views.matter_detail, name="legal_matter"),
    path("matters/<int:matter_id>/advance/", views.advance, name="legal_advance"),
    path("matters/<int:matter_id>/actions/", views.record_action, name="legal_action"),
    path("matters/<int:matter_id>/decide/", views.decide, name="legal_decide"),
    path("matters/<int:matter_id>/assign/", views.assign, name="legal_assign"),
    path("matters/<int:matter_id>/assets/", views.add_asset, name="legal_asset"),
    path("matters/<int:matter_id>/documents/", views.add_document, name="legal_document_add"),
    path("matters/<int:matter_id>/documents/generate/", views.generate, name="legal_generate"),
    path(
        "matters/<int:matter_id>/documents/<int:record_id>/<int:index>/",
        views.document,
        name="legal_document",
    ),
    path("batches/", views.batches, name="legal_batches"),
    path("batches/new/", views.batch_new, name="legal_batch_new"),
    path("batches/<int:batch_id>/", views.batch_detail, name="legal_batch"),
    path("batches/<int:batch_id>/progress/", views.batch_progress, name="legal_batch_progress"),
    path("batches/<int:batch_id>/zip/", views.batch_zip, name="legal_batch_zip"),
    path("batches/<int:batch_id>/run/", views.batch_run, name="legal_batch_run"),
    path("batches/<int:batch_id>/file/", views.batch_file, name="legal_batch_file"),
]
