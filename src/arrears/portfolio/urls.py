from django.urls import path

from arrears.portfolio import views

app_name = "portfolio"

urlpatterns = [
    path("loans/", views.loan_list, name="loan_list"),
    path("loans/<str:loan_id>/", views.loan_detail, name="loan_detail"),
    path("import/", views.import_portfolio, name="import"),
    path("import/runs/<int:run_id>/", views.import_run, name="import_run"),
    path("import/runs/<int:run_id>/errors.csv", views.import_run_errors_csv, name="import_run_errors"),
]
