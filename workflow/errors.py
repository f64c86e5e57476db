"""The errors a service function raises; the web layer maps each to one HTTP status."""
from __future__ import annotations

from typing import Any


class WorkflowError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(WorkflowError):
    status = 404
    code = "not_found"


class Forbidden(WorkflowError):
    """The actor may not do this (a permission decision with its reason)."""

    status = 403
    code = "forbidden"


class NotPossible(WorkflowError):
    """Not possible in the current state, or a condition of the transition failed."""

    status = 409
    code = "conflict"


class Invalid(WorkflowError):
    """Bad input; `details["fields"]` maps each field to its messages."""

    status = 422
    code = "invalid"

    @classmethod
    def field(cls, name: str, message: str) -> Invalid:
        return cls(message, {"fields": {name: [message]}})
