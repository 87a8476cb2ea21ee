"""Answer 503 with a clear sentence, not a 500, when the database fails under a request.

It sits right after authentication: it loads the session and the signed-in user itself (the
first queries of most requests), so a database that is down is caught before the rest of the
request, and `process_exception` catches a failure inside a view. API paths get the API's JSON
error body; pages get a short HTML page that needs no database to render.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.html import escape

from accord.core.database_errors import DATABASE_ERRORS, RETRY_AFTER_SECONDS, database_problem

logger = logging.getLogger(__name__)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Accord: database unavailable</title></head>
<body><main><h1>Accord cannot reach its database</h1><p>{message}</p>
<p><a href="">Try again</a></p></main></body></html>
"""


def database_unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    code, message = database_problem(exc)
    logger.warning("database failure on %s %s: %s", request.method, request.path, exc)
    if request.path.startswith("/api/"):
        body = json.dumps({"error": {"code": code, "message": message, "fields": {}}})
        response = HttpResponse(body, status=503, content_type="application/json")
    else:
        response = HttpResponse(
            PAGE.format(message=escape(message)), status=503, content_type="text/html"
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None:
            try:
                _ = user.is_authenticated  # loads the session and the user
            except DATABASE_ERRORS as exc:
                return database_unavailable_response(request, exc)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, DATABASE_ERRORS):
            return database_unavailable_response(request, exc)
        return None
