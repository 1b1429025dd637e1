"""Case pages under /cases/. No namespace: the navigation reverses the queue as "cases", the collector's landing
page is "workbench"; the rest are "case_…"."""

from django.urls import path

from arrears.cases import views

urlpatterns = [
    path("", views.queue, name="cases"),
    path("workbench/", views.workbench, name="workbench"),
    path("bulk/", views.bulk, name="cases_bulk"),
    path("<int:case_id>/", views.case_detail, name="case_detail"),
    path("<int:case_id>/transition/", views.transition, name="case_transition"),
    path("<int:case_id>/notes/", views.add_note, name="case_note"),
    path("<int:case_id>/tasks/", views.add_task, name="case_task"),
    path("<int:case_id>/tasks/<int:task_id>/done/", views.complete_task, name="case_task_done"),
    path("<int:case_id>/reassign/", views.reassign, name="case_reassign"),
    path("<int:case_id>/calls/", views.log_call, name="case_call"),
    path("<int:case_id>/escalation/", views.propose_escalation, name="case_escalation"),
    path("<int:case_id>/promises/", views.add_promise, name="case_promise"),
    path("<int:case_id>/place/", views.place, name="case_place"),
    path("<int:case_id>/recall/", views.recall, name="case_recall"),
]
