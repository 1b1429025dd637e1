"""Typed domain errors. The API maps them once to HTTP status codes and the UI to messages."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user can cause and should be told about in plain words."""

    http_status = 400
    code = "invalid"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    http_status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    http_status = 403
    code = "forbidden"


class Conflict(DomainError):
    http_status = 409
    code = "conflict"
