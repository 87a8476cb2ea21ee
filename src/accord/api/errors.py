"""One error body for every 4xx answer of the API:

    {"error": {"code": "validation_error", "message": "amount: The amount cannot be negative.",
               "fields": {"amount": ["The amount cannot be negative."]}}}

Domain errors from the services keep their code; schema errors from ninja (wrong types, missing
or unknown fields, bad query parameters) become ``validation_error`` with the same ``fields``
shape, keyed by the field name the client sent. Programming errors (for example
``UnscopedQueryError``) are deliberately not handled: they are 500s and must be fixed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field

from accord.core.database_errors import DATABASE_ERRORS, RETRY_AFTER_SECONDS, database_problem
from accord.core.errors import (
    AccordError,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from accord.core.strict_json import NotStandardJSON

ALL_FIELDS = "__all__"
BODY_FIELD = "body"


class ErrorDetail(Schema):
    code: str = Field(
        description="Stable machine-readable code: validation_error, malformed_json, "
        "malformed_upload, unauthenticated, permission_denied, not_found, conflict, "
        "method_not_allowed, payload_too_large, database_unavailable, database_read_only, "
        "database_full."
    )
    message: str = Field(description="A sentence for people.")
    fields: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Messages per input field (body fields, query or path parameters). "
        "'__all__' holds errors that concern no single field; 'body' errors about the body "
        "as a whole.",
    )


class ErrorOut(Schema):
    error: ErrorDetail


STATUS_OF: list[tuple[type[AccordError], int]] = [
    (ValidationFailed, 400),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
]

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    429: "throttled",
}


def error_body(
    code: str, message: str, fields: Mapping[str, list[str]] | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": dict(fields or {})}}


def summary(fields: Mapping[str, list[str]]) -> str:
    """The message for a set of field errors, worded like the services word theirs."""
    count = sum(len(messages) for messages in fields.values())
    if count == 1:
        name = next(iter(fields))
        return f"{name}: {fields[name][0]}"
    return f"{count} fields are invalid."


def _field_name(loc: Iterable[Any]) -> str:
    parts = [str(p) for p in loc]
    source = parts.pop(0) if parts else ""
    if source == "body" and parts:
        parts.pop(0)  # the handler's parameter name ('payload'), which the client never sees
        if not parts:
            return BODY_FIELD
    return ".".join(parts) or ALL_FIELDS


def _message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "This field is required."
    if kind == "extra_forbidden":
        return "Unknown field."
    if kind in {"model_attributes_type", "dict_type", "model_type"}:
        return "Expected a JSON object."
    message = str(error.get("msg", "Invalid value."))
    return message.removeprefix("Value error, ")


def schema_error_fields(errors: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        name = _field_name(error.get("loc", ()))
        message = _message(error)
        if name == BODY_FIELD and error.get("type") == "missing":
            message = "A JSON object is required."
        fields.setdefault(name, []).append(message)
    return fields


def _parse_problem(cause: BaseException) -> str:
    if isinstance(cause, json.JSONDecodeError):
        return f"{cause.msg} (line {cause.lineno}, column {cause.colno})"
    if isinstance(cause, UnicodeDecodeError):
        return "it is not UTF-8 text"
    if isinstance(cause, RecursionError):
        return "it is nested too deeply"
    if isinstance(cause, NotStandardJSON):
        return str(cause)
    return "it could not be parsed"


def install_error_handlers(api: NinjaAPI) -> None:
    """Register the handlers that turn every anticipated failure into the error body."""

    def respond(
        request: HttpRequest,
        status: int,
        code: str,
        message: str,
        fields: Mapping[str, list[str]] | None = None,
    ) -> HttpResponse:
        response = api.create_response(request, error_body(code, message, fields), status=status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="accord"'
        return response

    # ninja types a handler's exception as "the exception or its class"; it always passes an
    # instance, which each handler narrows to.
    def on_domain_error(request: HttpRequest, exc: object) -> HttpResponse:
        assert isinstance(exc, AccordError)
        status = next((s for kind, s in STATUS_OF if isinstance(exc, kind)), 400)
        return respond(request, status, exc.code, exc.message, exc.fields)

    def on_schema_error(request: HttpRequest, exc: object) -> HttpResponse:
        assert isinstance(exc, NinjaValidationError)
        fields = schema_error_fields(exc.errors)
        return respond(request, 400, ValidationFailed.code, summary(fields), fields)

    def on_http_error(request: HttpRequest, exc: object) -> HttpResponse:
        assert isinstance(exc, HttpError)
        cause = exc.__cause__
        if exc.status_code == 400 and isinstance(cause, RequestDataTooBig):
            return respond(request, 413, "payload_too_large", "The request body is too large.")
        if exc.status_code == 400 and cause is not None:
            # ninja raises HttpError(400) from whatever parsing the body raised.
            message = f"The request body is not valid JSON: {_parse_problem(cause)}."
            return respond(request, 400, "malformed_json", message, {BODY_FIELD: [message]})
        if isinstance(exc, AuthenticationError) and exc.message == "Unauthorized":
            message = "Authentication required: send 'Authorization: Bearer <token>' or sign in."
        else:
            message = exc.message
        code = _HTTP_CODES.get(exc.status_code, "error")
        return respond(request, exc.status_code, code, message)

    def on_not_found(request: HttpRequest, exc: object) -> HttpResponse:
        return respond(request, 404, "not_found", "Not found.")

    def on_too_big(request: HttpRequest, exc: object) -> HttpResponse:
        return respond(request, 413, "payload_too_large", "The request body is too large.")

    api.add_exception_handler(AccordError, on_domain_error)
    api.add_exception_handler(NinjaValidationError, on_schema_error)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(RequestDataTooBig, on_too_big)

    def on_bad_multipart(request: HttpRequest, exc: object) -> HttpResponse:
        message = (
            "The upload is not a valid multipart/form-data body (send the file as a form "
            f"field, with the boundary in the Content-Type header): {exc}."
        )
        return respond(request, 400, "malformed_upload", message, {BODY_FIELD: [message]})

    api.add_exception_handler(MultiPartParserError, on_bad_multipart)

    def on_database_error(request: HttpRequest, exc: object) -> HttpResponse:
        assert isinstance(exc, Exception)
        code, message = database_problem(exc)
        response = respond(request, 503, code, message)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    for kind in DATABASE_ERRORS:  # the server is down, or SQLite is read-only or full
        api.add_exception_handler(kind, on_database_error)

    def on_data_error(request: HttpRequest, exc: object) -> HttpResponse:
        # A value the request carried that the database cannot store or compare, such as a
        # time zone offset beyond what PostgreSQL accepts: the caller's input, not an outage.
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else "out of range"
        message = f"A value is outside what the database accepts ({problem}); nothing changed."
        return respond(request, 400, ValidationFailed.code, message)

    api.add_exception_handler(DataError, on_data_error)


def json_method_not_allowed(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Wrap a ninja path view so that a method it does not serve gets the error body too."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            body = error_body(
                "method_not_allowed", f"{request.method} is not allowed here (use {allowed})."
            )
            replacement = HttpResponse(
                json.dumps(body), status=405, content_type="application/json"
            )
            replacement["Allow"] = allowed
            return replacement
        return response

    return wrapper
