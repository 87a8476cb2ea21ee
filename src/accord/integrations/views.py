"""Web pages of integrations (workspace admins only): webhooks with their delivery log, and
integration keys for inbound events. Secrets are shown once, on the page after creation."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.core.errors import AccordError, NotFound, PermissionDenied, ValidationFailed
from accord.core.events import EVENT_NAMES
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership
from accord.identity.permissions import Action
from accord.integrations.forms import IntegrationKeyForm, WebhookForm
from accord.integrations.inbound import keys as key_services
from accord.integrations.models import DeliveryStatus
from accord.integrations.webhooks import selectors, services
from accord.integrations.webhooks.delivery import max_attempts

_SHOW_ONCE_KEY = "accord_integrations_new_secret"
DELIVERY_LOG_SIZE = 100

type AdminView[**P] = Callable[Concatenate[HttpRequest, Actor, P], HttpResponse]
type View[**P] = Callable[Concatenate[HttpRequest, P], HttpResponse]


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "web/forbidden.html", {"message": message}, status=403)


def admin_view[**P](func: AdminView[P]) -> View[P]:
    """Run the view for a signed-in admin of the current workspace (others get 403); the view
    gets the acting admin as its second argument."""

    @functools.wraps(func)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership: Membership | None = getattr(request, "membership", None)
        if membership is None:
            return render(request, "web/no_workspace.html", status=403)
        actor = Actor.for_membership(membership, Source.WEB)
        if not actor.can(Action.MANAGE_WORKSPACE):
            return _forbidden(request, "Only workspace admins manage webhooks and integrations.")
        try:
            return func(request, actor, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except PermissionDenied as exc:
            return _forbidden(request, exc.message)

    return wrapper


def _remember_secret(request: HttpRequest, kind: str, pk: int, secret: str) -> None:
    request.session[_SHOW_ONCE_KEY] = {"kind": kind, "id": pk, "secret": secret}


def _take_secret(request: HttpRequest, kind: str) -> dict[str, Any] | None:
    shown = request.session.get(_SHOW_ONCE_KEY)
    if isinstance(shown, dict) and shown.get("kind") == kind:
        del request.session[_SHOW_ONCE_KEY]
        return shown
    return None


# Webhooks ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@admin_view
def webhook_index(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription, secret = services.webhook_create(actor=actor, values=form.values())
        except ValidationFailed as exc:
            form.add_service_errors(exc)
        else:
            if secret:
                _remember_secret(request, "webhook", subscription.pk, secret)
            messages.success(request, f"Webhook added: {subscription.url}")
            return redirect("integrations:webhooks")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "integrations/webhooks.html",
        {
            "subscriptions": list(selectors.webhook_list(actor.workspace)),
            "form": form,
            "new_secret": _take_secret(request, "webhook"),
            "event_names": EVENT_NAMES,
        },
        status=status,
    )


@require_GET
@admin_view
def webhook_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    subscription = selectors.webhook_get(actor.workspace, pk)
    status = request.GET.get("status", "")
    status = status if status in DeliveryStatus.values else ""
    deliveries = selectors.delivery_list(actor.workspace, subscription.pk, status).order_by(
        "-created_at", "-pk"
    )
    return render(
        request,
        "integrations/webhook_detail.html",
        {
            "subscription": subscription,
            "deliveries": list(deliveries[:DELIVERY_LOG_SIZE]),
            "status": status,
            "statuses": DeliveryStatus.choices,
            "max_attempts": max_attempts(),
            "log_size": DELIVERY_LOG_SIZE,
        },
    )


@require_POST
@admin_view
def webhook_ping(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    delivery = services.webhook_ping(actor=actor, subscription_id=pk)
    if delivery.status == DeliveryStatus.SUCCEEDED:
        messages.success(request, f"Test ping delivered (HTTP {delivery.last_status_code}).")
    else:
        messages.error(request, f"Test ping failed: {delivery.last_error}")
    return redirect("integrations:webhook", pk)


@require_POST
@admin_view
def webhook_toggle(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    subscription = selectors.webhook_get(actor.workspace, pk)
    services.webhook_update(
        actor=actor, subscription_id=pk, values={"active": not subscription.active}
    )
    messages.success(request, "Webhook resumed." if not subscription.active else "Webhook paused.")
    return redirect("integrations:webhooks")


@require_POST
@admin_view
def webhook_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    subscription = selectors.webhook_get(actor.workspace, pk)
    services.webhook_delete(actor=actor, subscription_id=pk)
    messages.success(request, f"Webhook deleted: {subscription.url}")
    return redirect("integrations:webhooks")


@require_POST
@admin_view
def delivery_retry(request: HttpRequest, actor: Actor, pk: int, delivery_pk: int) -> HttpResponse:
    try:
        services.delivery_retry(actor=actor, subscription_id=pk, delivery_id=delivery_pk)
    except NotFound:
        raise
    except AccordError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Retry queued: the worker sends it within seconds.")
    return redirect("integrations:webhook", pk)


# Integration keys --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@admin_view
def key_index(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = IntegrationKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            key, secret = key_services.integration_key_create(
                actor=actor,
                name=form.cleaned_data["name"],
                require_signature=form.cleaned_data["require_signature"],
            )
        except ValidationFailed as exc:
            form.add_error("name", exc.message)
        else:
            _remember_secret(request, "key", key.pk, secret)
            messages.success(request, f"Integration key created: {key.name}")
            return redirect("integrations:keys")
    return render(
        request,
        "integrations/keys.html",
        {
            "keys": list(key_services.integration_key_list(actor.workspace)),
            "form": form,
            "new_secret": _take_secret(request, "key"),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@admin_view
def key_revoke(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    key = key_services.integration_key_revoke(actor=actor, key_pk=pk)
    messages.success(request, f"Integration key revoked: {key.name} ({key.key_id})")
    return redirect("integrations:keys")
