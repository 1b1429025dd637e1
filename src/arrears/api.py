"""The REST API (django-ninja), /api/v1 with OpenAPI docs at /api/v1/docs. Session auth for the UI."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import HttpBearer, django_auth

from arrears.core.errors import DomainError


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer arr_…` for integrations; see `accounts.services.create_api_token`."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from arrears.accounts.services import user_for_api_key

        user = user_for_api_key(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(title="Arrears API", version="1", urls_namespace="api", auth=[django_auth, ApiKeyAuth()])


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(
        request, {"code": exc.code, "message": exc.message, "details": exc.details}, status=exc.http_status
    )


api.add_router("/portfolio", "arrears.portfolio.api.router")
api.add_router("/delinquency", "arrears.delinquency.api.router")
api.add_router("/risk", "arrears.risk.api.router")
api.add_router("/cases", "arrears.cases.api.router")
api.add_router("/strategy", "arrears.strategy.api.router")
api.add_router("/compliance", "arrears.compliance.api.router")
api.add_router("/contact", "arrears.contact.api.router")
api.add_router("/negotiation", "arrears.negotiation.api.router")
api.add_router("/legal", "arrears.legal.api.router")
