"""URL map: the UI areas, the admin, i18n, and the REST API under /api/v1."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from arrears.api import api
from arrears.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portfolio/", include("arrears.portfolio.urls")),
    path("delinquency/", include("arrears.delinquency.urls")),
    path("risk/", include("arrears.risk.urls")),
    path("cases/", include("arrears.cases.urls")),
    path("compliance/", include("arrears.compliance.urls")),
    path("contact/", include("arrears.contact.urls")),
    path("strategy/", include("arrears.strategy.urls")),
    path("negotiation/", include("arrears.negotiation.urls")),
    path("legal/", include("arrears.legal.urls")),
    path("reports/", core_views.coming_soon, {"area": "reports"}, name="reports"),
    path("settings/", core_views.settings_home, name="settings"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
