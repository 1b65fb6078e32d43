"""A 422 for a value the API's schema lets through but the domain refuses (an unknown app, a
malformed address), shaped as FastAPI's own: every 422 is published in the OpenAPI document
with `detail` as a list of errors, and a client (or schemathesis) reads it that way."""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError

__all__ = ["invalid_body_field"]


def invalid_body_field(field: str, message: str, value: object) -> RequestValidationError:
    """The error to raise for the body's `field`, saying `message` (in `detail[0].msg`)."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("body", field), "msg": message, "input": value}]
    )
