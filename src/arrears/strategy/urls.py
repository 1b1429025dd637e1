"""Strategy pages under /strategy/. No namespace, like the case pages: "strategy", "strategy_…"."""

from django.urls import path

from arrears.strategy import views

urlpatterns = [
    path("", views.strategy_home, name="strategy"),
    path("segments/<int:segment_id>/", views.segment_detail, name="strategy_segment"),
    path("segments/<int:segment_id>/promote/", views.promote, name="strategy_promote"),
    path("simulate/", views.simulate, name="strategy_simulate"),
]
