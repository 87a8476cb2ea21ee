"""Sending one delivery: the signed POST, the attempt bookkeeping and the retry schedule.

Each attempt is claimed with a conditional UPDATE (``attempts = n - 1`` → ``n``) before the
request goes out, so a retry-now racing a scheduled retry sends once, and no transaction (or
SQLite write lock) is held while the receiver answers. 2xx is success; any other status, a
redirect (never followed), a timeout or a network error schedules the next attempt after the
delay for that attempt (default 30 s, 2 min, 10 min, 1 h, 6 h: six attempts in all), then the
delivery fails. ``ACCORD_WEBHOOK_RETRY_DELAYS`` (seconds), ``ACCORD_WEBHOOK_MAX_ATTEMPTS`` and
``ACCORD_WEBHOOK_TIMEOUT`` override the defaults.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import accord
from accord.integrations.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookKind,
    WebhookSubscription,
)
from accord.integrations.signing import SIGNATURE_HEADER, derive_secret, signature_header
from accord.integrations.webhooks.addresses import guarded_handlers, proxied_refusal
from accord.integrations.webhooks.tasks import enqueue_attempt

PURPOSE = "accord-webhook"
USER_AGENT = f"Accord-Webhooks/{accord.__version__}"
DEFAULT_RETRY_DELAYS = (30, 120, 600, 3600, 21600)
DEFAULT_TIMEOUT = 10.0
_ERROR_EXCERPT = 300


def retry_delays() -> tuple[float, ...]:
    return tuple(getattr(settings, "ACCORD_WEBHOOK_RETRY_DELAYS", DEFAULT_RETRY_DELAYS))


def max_attempts() -> int:
    return int(getattr(settings, "ACCORD_WEBHOOK_MAX_ATTEMPTS", len(retry_delays()) + 1))


def request_timeout() -> float:
    return float(getattr(settings, "ACCORD_WEBHOOK_TIMEOUT", DEFAULT_TIMEOUT))


def subscription_secret(subscription: WebhookSubscription) -> str:
    """HMAC-SHA256(SECRET_KEY, 'accord-webhook:<subscription id>:<salt>'), never stored."""
    return derive_secret(PURPOSE, str(subscription.pk), subscription.salt)


@dataclass(frozen=True)
class AttemptResult:
    succeeded: bool
    status_code: int | None
    error: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


# Redirects are never followed, and only public addresses are reached (see addresses.py).
_opener = urllib.request.build_opener(_NoRedirects, *guarded_handlers())


def _excerpt(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace").strip()
    return text[:_ERROR_EXCERPT] + ("…" if len(text) > _ERROR_EXCERPT else "")


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> AttemptResult:
    """POST ``body`` to ``url``; never raises for network problems."""
    refused = proxied_refusal(url)
    if refused:
        return AttemptResult(False, None, refused)
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 - http(s) only, checked when the subscription is saved
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(65536)
            return AttemptResult(succeeded=True, status_code=response.status, error="")
    except urllib.error.HTTPError as exc:
        detail = _excerpt(exc.read(2048)) if exc.fp is not None else ""
        if 300 <= exc.code < 400:
            detail = f"redirect to {exc.headers.get('Location', '?')} not followed"
        message = f"HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")
        return AttemptResult(succeeded=False, status_code=exc.code, error=message)
    except TimeoutError:
        return AttemptResult(False, None, f"No answer within {timeout:g} s (timed out).")
    except urllib.error.URLError as exc:
        return AttemptResult(False, None, f"Could not connect: {exc.reason}")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return AttemptResult(False, None, f"{type(exc).__name__}: {exc}")


def request_for(delivery: WebhookDelivery) -> tuple[bytes, dict[str, str]]:
    """The exact body and headers of an attempt (signed now, for generic receivers)."""
    subscription = delivery.subscription
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Accord-Event": delivery.event,
        "X-Accord-Delivery": str(delivery.pk),
    }
    if subscription.kind == WebhookKind.GENERIC:
        headers[SIGNATURE_HEADER] = signature_header(subscription_secret(subscription), body)
    return body, headers


def _claim(workspace_id: int, delivery_id: int, attempt: int) -> bool:
    now = timezone.now()
    claimed = (
        WebhookDelivery.objects.for_workspace(workspace_id)
        .filter(
            pk=delivery_id,
            attempts=attempt - 1,
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING],
        )
        .update(attempts=attempt, last_attempt_at=now, next_attempt_at=None, updated_at=now)
    )
    return claimed == 1


def attempt_delivery(
    *, workspace_id: int, delivery_id: int, attempt: int, retry: bool = True
) -> str:
    """Make attempt number ``attempt``; returns the delivery's status afterwards, or
    "skipped" when the attempt was already made (or the delivery was settled)."""
    if not _claim(workspace_id, delivery_id, attempt):
        return "skipped"
    delivery = (
        WebhookDelivery.objects.for_workspace(workspace_id)
        .select_related("subscription")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:  # its subscription was deleted a moment ago
        return "skipped"
    if not delivery.subscription.active and delivery.event != "ping":
        result = AttemptResult(False, None, "The subscription is paused; not sent.")
        retry = False
    else:
        body, headers = request_for(delivery)
        result = post(delivery.subscription.url, body, headers, request_timeout())
    return _record(delivery, attempt, result, retry=retry)


def _record(delivery: WebhookDelivery, attempt: int, result: AttemptResult, *, retry: bool) -> str:
    now = timezone.now()
    fields: dict[str, Any] = {
        "last_status_code": result.status_code,
        "last_error": result.error[:1000],
        "updated_at": now,
    }
    next_at: dt.datetime | None = None
    if result.succeeded:
        fields.update(status=DeliveryStatus.SUCCEEDED, delivered_at=now)
    elif retry and attempt < max_attempts():
        delays = retry_delays() or (0,)
        next_at = now + dt.timedelta(seconds=delays[min(attempt - 1, len(delays) - 1)])
        fields.update(status=DeliveryStatus.RETRYING, next_attempt_at=next_at)
    else:
        fields.update(status=DeliveryStatus.FAILED)
    with transaction.atomic():
        WebhookDelivery.objects.for_workspace(delivery.workspace_id).filter(
            pk=delivery.pk, attempts=attempt
        ).update(**fields)
        if next_at is not None:
            workspace_id, delivery_id = delivery.workspace_id, delivery.pk
            transaction.on_commit(
                lambda: enqueue_attempt(workspace_id, delivery_id, attempt + 1, run_after=next_at)
            )
    return str(fields["status"])
