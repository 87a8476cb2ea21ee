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
from accord.identity.models import ApiToken
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
    """Who is counted: a known API token (by its public prefix, so guesses at its secret share
    its counter), else the signed-in user, else the address — which is also where made-up
    tokens are counted, so inventing a new one per request does not escape the limit."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        prefix = known_token_prefix(header[7:].strip())
        if prefix is not None:
            return f"token:{prefix}"
    else:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"


def known_token_prefix(presented: str) -> str | None:
    """The prefix of an `acc_<prefix>_<secret>` token if a token with that prefix exists."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1].isalnum():
        return None
    exists = ApiToken.objects.across_workspaces().filter(prefix=parts[1][:12]).exists()
    return parts[1] if exists else None


def check(request: HttpRequest, now: float | None = None) -> int | None:
    """Count the request; the seconds to wait when it is over the limit, else None."""
    rate = parse_rate(settings.ACCORD_API_RATE_LIMIT)
    if rate is None:
        return None
    limit, seconds = rate
    now = time.time() if now is None else now
    window = int(now // seconds)
    key = f"accord-api-rate:{client_key(request)}:{seconds}:{window}"
    if default_cache.add(key, 1, timeout=seconds + 1):
        count = 1
    else:
        try:
            count = default_cache.incr(key)
        except ValueError:  # expired between add and incr
            default_cache.set(key, 1, timeout=seconds + 1)
            count = 1
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * seconds - now))


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
        return view(request, *args, **kwargs)

    return wrapper
