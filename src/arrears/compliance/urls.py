"""Compliance pages under /compliance/. No namespace, like the case pages: "compliance", "compliance_…"."""

from django.urls import path

from arrears.compliance import views

urlpatterns = [
    path("", views.denied, name="compliance"),
    path("packs/", views.packs, name="compliance_packs"),
    path("packs/<int:pack_id>/", views.pack_detail, name="compliance_pack"),
    path("packs/<int:pack_id>/save/", views.pack_save, name="compliance_pack_save"),
    path("packs/<int:pack_id>/approve/", views.pack_approve, name="compliance_pack_approve"),
    path("holds/", views.holds, name="compliance_holds"),
    path("holds/place/", views.hold_place, name="compliance_hold_place"),
    path("holds/<int:hold_id>/lift/", views.hold_lift, name="compliance_hold_lift"),
]
