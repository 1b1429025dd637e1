"""Negotiation pages under /negotiation/. No namespace, like the case pages: "negotiation_…"."""

from django.urls import path

from arrears.negotiation import views

urlpatterns = [
    path("", views.index, name="negotiation"),
    path("approvals/", views.approvals, name="negotiation_approvals"),
    path("dashboard/", views.dashboard, name="negotiation_dashboard"),
    path("dashboard.csv", views.dashboard_csv, name="negotiation_dashboard_csv"),
    path("cases/<int:case_id>/waiver/", views.request_waiver, name="negotiation_waiver"),
    path("cases/<int:case_id>/settlement/", views.request_settlement, name="negotiation_settlement"),
    path("cases/<int:case_id>/plan/", views.propose_plan, name="negotiation_plan_propose"),
    path("cases/<int:case_id>/check/<str:kind>/", views.check, name="negotiation_check"),
    path("requests/<int:concession_id>/decide/", views.decide, name="negotiation_decide"),
    path("requests/<int:concession_id>/cancel/", views.cancel, name="negotiation_cancel"),
    path("requests/<int:concession_id>/reverse/", views.reverse_waiver, name="negotiation_reverse"),
    path("requests/<int:concession_id>/sign/", views.settlement_sign, name="negotiation_settlement_sign"),
    path("requests/<int:concession_id>/agreement.docx", views.agreement, name="negotiation_agreement"),
    path("plans/<int:plan_id>/", views.plan_detail, name="negotiation_plan"),
    path("plans/<int:plan_id>/sign/", views.plan_sign, name="negotiation_plan_sign"),
    path("plans/<int:plan_id>/refresh/", views.plan_refresh, name="negotiation_plan_refresh"),
]
