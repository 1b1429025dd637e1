from django.urls import path

from arrears.portfolio import views

app_name = "portfolio"

urlpatterns = [
    path("loans/", views.loan_list, name="loan_list"),
    path("loans/<str:loan_id>/", views.loan_detail, name="loan_detail"),
    path("import/", views.import_portfolio, name="import"),
]
