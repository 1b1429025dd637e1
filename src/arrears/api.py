"""The REST API (django-ninja), /api/v1 with OpenAPI docs at /api/v1/docs. Session auth for the UI."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import django_auth

from arrears.core.errors import DomainError

api = NinjaAPI(title="Arrears API", version="1", urls_namespace="api", auth=django_auth)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(
        request, {"code": exc.code, "message": exc.message, "details": exc.details}, status=exc.http_status
    )


api.add_router("/portfolio", "arrears.portfolio.api.router")
