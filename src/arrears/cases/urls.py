"""Case pages under /cases/. No namespace: the navigation reverses the queue as "cases"; the rest are
"case_…"."""

from django.urls import path

from arrears.cases import views

urlpatterns = [
    path("", views.queue, name="cases"),
    path("<int:case_id>/", views.case_detail, name="case_detail"),
    path("<int:case_id>/transition/", views.transition, name="case_transition"),
    path("<int:case_id>/notes/", views.add_note, name="case_note"),
    path("<int:case_id>/tasks/", views.add_task, name="case_task"),
    path("<int:case_id>/tasks/<int:task_id>/done/", views.complete_task, name="case_task_done"),
    path("<int:case_id>/reassign/", views.reassign, name="case_reassign"),
]
