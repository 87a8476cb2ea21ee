"""API rate limits: at most N requests per window per API token (per client address for calls
without a token), counted in Django's cache in fixed windows. Over the limit the API answers
429 with the error body and a Retry-After header (seconds until the window ends).

ACCORD_API_RATE_LIMIT is "<count>/<second|minute|hour|day>" (default "600/minute") or "off".
The counters live in the configured cache: with the default in-process cache each server
process counts on its own; configure a shared cache (e.g. Redis or the database) to count
across processes.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from functools import cache, wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache as default_cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

from accord.api.errors import error_body
from accord.identity.services import TOKEN_PREFIX

_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
OFF = "off"


@cache
def parse_rate(text: str) -> tuple[int, int] | None:
    """(requests, window seconds), or None when the limit is off."""
    value = text.strip().lower()
    if value in (OFF, "", "0"):
        return None
    count, _, period = value.partition("/")
    try:
        requests = int(count)
        seconds = _PERIODS[period.strip().removesuffix("s")]
    except (ValueError, KeyError):
        raise ImproperlyConfigured(
            f"ACCORD_API_RATE_LIMIT={text!r}: use '<count>/<second|minute|hour|day>' "
            "(e.g. 600/minute) or 'off'."
        ) from None
    if requests < 1:
        raise ImproperlyConfigured("ACCORD_API_RATE_LIMIT: the count must be at least 1.")
    return requests, seconds


def client_key(request: HttpRequest) -> str:
    """Who is counted: an API token by its public prefix (so guesses at one token's secret
    share its counter), else the signed-in user, else the address."""
    token = _bearer(request)
    if token is not None:
        parts = token.split("_", 2)
        if len(parts) == 3 and parts[0] == TOKEN_PREFIX and parts[1].isalnum():
            return f"token:{parts[1][:16]}"
    else:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
    return f"ip:{_address(request)}"


def _bearer(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def _address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _window(now: float | None) -> tuple[int, int, int, float] | None:
    """(limit, window seconds, window number, now), or None when the limit is off."""
    rate = parse_rate(settings.ACCORD_API_RATE_LIMIT)
    if rate is None:
        return None
    limit, seconds = rate
    now = time.time() if now is None else now
    return limit, seconds, int(now // seconds), now


def _count(key: str, seconds: int) -> int:
    if default_cache.add(key, 1, timeout=seconds + 1):
        return 1
    try:
        return int(default_cache.incr(key))
    except ValueError:  # expired between add and incr
        default_cache.set(key, 1, timeout=seconds + 1)
        return 1


def _refused_tokens_key(request: HttpRequest, seconds: int, window: int) -> str:
    return f"accord-api-refused-tokens:{_address(request)}:{seconds}:{window}"


def check(request: HttpRequest, now: float | None = None) -> int | None:
    """Count the request; the seconds to wait when it is over the limit, else None. Tokens the
    API refused (unknown, revoked) are also counted per address (`count_refused_token`): once
    an address has had the limit's worth refused in a window, its token calls wait too, so
    inventing a new token per request does not escape the limit."""
    current = _window(now)
    if current is None:
        return None
    limit, seconds, window, now = current
    wait = max(1, math.ceil((window + 1) * seconds - now))
    if _count(f"accord-api-rate:{client_key(request)}:{seconds}:{window}", seconds) > limit:
        return wait
    if _bearer(request) is not None:
        refused = default_cache.get(_refused_tokens_key(request, seconds, window)) or 0
        if refused >= limit:
            return wait
    return None


def count_refused_token(request: HttpRequest, now: float | None = None) -> None:
    current = _window(now)
    if current is not None:
        _, seconds, window, _ = current
        _count(_refused_tokens_key(request, seconds, window), seconds)


def rate_limited(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an API view: over the limit, 429 with Retry-After instead of running it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = check(request)
        if wait is not None:
            body = error_body(
                "throttled",
                f"Too many requests: the limit is {settings.ACCORD_API_RATE_LIMIT}. "
                f"Try again in {wait} s.",
            )
            response = HttpResponse(json.dumps(body), status=429, content_type="application/json")
            response["Retry-After"] = str(wait)
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 401 and _bearer(request) is not None:
            count_refused_token(request)
        return response

    return wrapper
