"""How recent the metric results on a page must be: a page shows results up to
`ACCORD_METRICS_CACHE_SECONDS` old (the cache's own bound for other processes' changes), but
never one computed before the reader's own last change, so what a person just did shows on the
next page they open (see `metrics.result_cache`).

The reader's last change is a cookie set on every successful write request they make: a time,
not a secret; someone who forges it only makes their own pages compute afresh.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from accord.metrics import result_cache

WROTE_COOKIE = "accord_wrote"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _wrote_at(request: HttpRequest) -> float:
    try:
        return float(request.COOKIES.get(WROTE_COOKIE, "0"))
    except ValueError:
        return 0.0


def figures_of(request: HttpRequest) -> result_cache.Staleness | None:
    """What the page accepted (and how old the oldest result it was served is), if anything."""
    return getattr(request, "figures", None)


class RecentFiguresMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        seconds = settings.ACCORD_METRICS_CACHE_SECONDS
        if request.method in SAFE_METHODS:
            if request.path.startswith("/api/"):  # API readers get the current version
                return self.get_response(request)
            with result_cache.bounded_staleness(seconds, _wrote_at(request)) as figures:
                request.figures = figures  # type: ignore[attr-defined]
                return self.get_response(request)
        response = self.get_response(request)
        if response.status_code < 400:  # committed by now (the view returned)
            response.set_cookie(
                WROTE_COOKIE,
                f"{time.time():.3f}",
                max_age=max(60, math.ceil(seconds)),
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
