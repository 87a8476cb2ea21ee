"""REST endpoints of integrations: inbound events (/events), integration keys and outbound
webhooks with their delivery log. See docs/events-and-webhooks.md."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import BaseModel, Field

from accord.api.auth import request_actor, request_membership
from accord.api.errors import error_body
from accord.api.pagination import ListParams, Page, PageResult, paginate_params
from accord.api.schemas import InSchema, RecordId, ResultList
from accord.core import strict_json
from accord.core.errors import AccordError, ValidationFailed
from accord.core.events import EVENT_NAMES
from accord.core.strict_json import NotStandardJSON
from accord.identity.actor import Actor
from accord.identity.permissions import Action
from accord.integrations.inbound import keys as key_services
from accord.integrations.inbound.batch import MAX_EVENTS, BatchTooLarge, ingest_events
from accord.integrations.inbound.idempotency import (
    HEADER as IDEMPOTENCY_HEADER,
)
from accord.integrations.inbound.idempotency import (
    IdempotencyKeyReused,
    clean_key,
    run_idempotent,
)
from accord.integrations.models import (
    DeliveryStatus,
    IntegrationKey,
    WebhookDelivery,
    WebhookSubscription,
)
from accord.integrations.signing import SIGNATURE_HEADER, SignatureRejected
from accord.integrations.webhooks import selectors, services

router = Router()

JSON_TYPE = "application/json; charset=utf-8"


def _admin(request: HttpRequest) -> Actor:
    """Webhooks and integration keys are workspace settings: admins only, reads included."""
    actor = request_actor(request)
    actor.require(Action.MANAGE_WORKSPACE)
    return actor


def _error_response(status: int, exc: AccordError) -> HttpResponse:
    body = json.dumps(error_body(exc.code, exc.message, exc.fields))
    response = HttpResponse(body, status=status, content_type=JSON_TYPE)
    if status == 401:
        response["WWW-Authenticate"] = 'Accord-Signature realm="accord-events"'
    return response


def _inline(model: type[BaseModel]) -> dict[str, Any]:
    """A model's JSON schema with its $defs inlined (OpenAPI resolves $ref from the document
    root, where these documentation-only models are not registered)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return resolve(schema)


# Inbound events ----------------------------------------------------------------------------


class EventContactDoc(BaseModel):
    email: str | None = Field(None, description="Matched after normalisation (lower case).")
    external_id: str | None = Field(None, description="Matched first, when given.")
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    company: str | None = Field(None, description="Company name; matched by email domain first.")
    country: str | None = Field(None, description="ISO 3166 two-letter code.")


class EventDoc(BaseModel):
    type: str = Field(
        description="ad_click, form_fill, webinar, email_open, email_click, event, web_visit, "
        "content_download, chat, unsubscribe, bounce."
    )
    occurred_at: dt.datetime = Field(description="ISO 8601; without an offset it is UTC.")
    contact: EventContactDoc = Field(description="Who: by email or external_id (or both).")
    channel: str | None = Field(None, description="Default: the campaign's channel.")
    campaign: int | str | None = Field(None, description="A campaign id (number) or name.")
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_content: str | None = None
    utm_term: str | None = None
    landing_page: str | None = None
    referrer: str | None = None


class EventBatchDoc(BaseModel):
    events: list[EventDoc] = Field(min_length=1, max_length=MAX_EVENTS)


class EventResultOut(Schema):
    index: int = Field(description="The event's position in the batch, from 0.")
    touchpoint_id: int
    contact_id: int
    contact_created: bool = Field(description="True when the event created the contact.")
    duplicate: bool = Field(
        description="True when the same touch (contact, type, time, channel, campaign) was "
        "recorded already, or earlier in this batch: touchpoint_id is that one's."
    )


class EventBatchOut(Schema):
    accepted: int
    contacts_created: int
    contacts_updated: int = Field(description="Known contacts whose empty fields were filled.")
    touchpoints_created: int
    duplicates: int = Field(description="Events that repeated a touch already recorded.")
    results: list[EventResultOut]


def _header_doc(name: str, description: str, max_length: int) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": {"type": "string", "maxLength": max_length},
    }


def _extra_error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
    }


_EVENTS_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _inline(EventBatchDoc)}},
    },
    "parameters": [
        _header_doc(
            IDEMPOTENCY_HEADER,
            "Makes retries safe: a replay with the same body returns the first response "
            "(kept 24 h); the same key with another body is refused (422).",
            255,
        ),
        _header_doc(
            key_services.KEY_HEADER,
            "The integration key id (ik_…). Required when the workspace has a key that "
            "requires signatures.",
            40,
        ),
        _header_doc(
            SIGNATURE_HEADER,
            "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<raw body>' with the key's "
            "signing secret>; within 5 minutes of the server's clock.",
            500,
        ),
    ],
    "responses": {
        "401": _extra_error(
            "Unauthenticated, or an integration key / signature problem "
            "(integration_key_required, integration_key_invalid, signature_missing, "
            "signature_invalid, signature_expired)."
        ),
        "413": _extra_error(f"More than {MAX_EVENTS} events (batch_too_large)."),
        "422": _extra_error("The Idempotency-Key was used with another body."),
    },
}


class _MalformedJson(ValidationFailed):
    code = "malformed_json"


def _parse(body: bytes) -> Any:
    try:
        return strict_json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError, NotStandardJSON) as exc:
        if isinstance(exc, json.JSONDecodeError):
            problem = f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
        elif isinstance(exc, NotStandardJSON):
            problem = str(exc)
        elif isinstance(exc, RecursionError):
            problem = "it is nested too deeply"
        else:
            problem = "it is not UTF-8 JSON"
        message = f"The request body is not valid JSON: {problem}."
        raise _MalformedJson(message, fields={"body": [message]}) from None


@router.post(
    "/events",
    response={201: EventBatchOut},
    tags=["events"],
    openapi_extra=_EVENTS_OPENAPI,
)
def post_events(request: HttpRequest) -> HttpResponse:
    """Record a batch of up to 1,000 marketing events (touchpoints). Unknown contacts are
    created as leads; the whole batch is validated first and an invalid event writes nothing
    (errors keyed `events[<index>].<field>`)."""
    actor = request_actor(request)
    actor.require(Action.WRITE_RECORDS)
    body = request.body
    try:
        key = key_services.authenticate_integration(
            actor.workspace,
            request.headers.get(key_services.KEY_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            body,
        )
    except SignatureRejected as exc:
        return _error_response(401, exc)
    rule = f"inbound events ({key.name})" if key else "inbound events"
    actor = Actor(
        workspace=actor.workspace,
        source=actor.source,
        user=actor.user,
        role=actor.role,
        rule=rule[:200],
    )

    def work() -> tuple[int, str]:
        result = ingest_events(actor=actor, payload=_parse(body))
        return 201, json.dumps(result, separators=(",", ":"))

    try:
        stored = run_idempotent(
            workspace=actor.workspace,
            key=clean_key(request.headers.get(IDEMPOTENCY_HEADER)),
            body=body,
            work=work,
        )
    except IdempotencyKeyReused as exc:
        return _error_response(422, exc)
    except BatchTooLarge as exc:
        return _error_response(413, exc)
    response = HttpResponse(stored.body, status=stored.status, content_type=JSON_TYPE)
    if stored.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


# Integration keys --------------------------------------------------------------------------


class IntegrationKeyOut(Schema):
    id: int
    name: str
    key_id: str = Field(description="Public: send it as X-Accord-Integration.")
    require_signature: bool
    created_by_id: int | None
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class IntegrationKeyCreatedOut(IntegrationKeyOut):
    signing_secret: str = Field(description="Shown this once; it cannot be retrieved later.")


class IntegrationKeyIn(InSchema):
    name: str = Field(description="Which system sends with it, e.g. 'HubSpot forms'.")
    require_signature: bool = Field(False, description="Refuse unsigned requests naming it.")


@router.get("/integration-keys", response=ResultList[IntegrationKeyOut], tags=["integration keys"])
def list_integration_keys(request: HttpRequest) -> dict[str, Any]:
    actor = _admin(request)
    return {"results": list(key_services.integration_key_list(actor.workspace))}


@router.post(
    "/integration-keys", response={201: IntegrationKeyCreatedOut}, tags=["integration keys"]
)
def create_integration_key(request: HttpRequest, payload: IntegrationKeyIn) -> Status[Any]:
    """Create a key. The response carries its signing secret, shown this once."""
    actor = _admin(request)
    key, secret = key_services.integration_key_create(
        actor=actor, name=payload.name, require_signature=payload.require_signature
    )
    data = IntegrationKeyOut.model_validate(key).model_dump()
    return Status(201, {**data, "signing_secret": secret})


@router.get("/integration-keys/{key_pk}", response=IntegrationKeyOut, tags=["integration keys"])
def get_integration_key(request: HttpRequest, key_pk: RecordId) -> IntegrationKey:
    return key_services.integration_key_get(_admin(request).workspace, key_pk)


@router.post(
    "/integration-keys/{key_pk}/revoke", response=IntegrationKeyOut, tags=["integration keys"]
)
def revoke_integration_key(request: HttpRequest, key_pk: RecordId) -> IntegrationKey:
    """Revoke a key: requests naming it are refused from now on."""
    return key_services.integration_key_revoke(actor=_admin(request), key_pk=key_pk)


# Webhooks ----------------------------------------------------------------------------------


class WebhookOut(Schema):
    id: int
    url: str
    description: str
    events: list[str] = Field(description='Event names, or ["*"] for every event.')
    kind: Literal["generic", "slack"]
    active: bool
    created_by_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    delivery_count: int = 0
    failed_count: int = 0
    last_status: str | None = None


class WebhookCreatedOut(WebhookOut):
    signing_secret: str | None = Field(
        description="Shown this once (generic webhooks; null for Slack)."
    )


class WebhookPatch(InSchema):
    url: str | None = Field(None, description="http:// or https://.")
    events: list[str] | None = Field(None, description='Event names, or ["*"].')
    kind: str | None = Field(None, description="generic (signed JSON) or slack.")
    description: str | None = None
    active: bool | None = None


class WebhookIn(WebhookPatch):
    url: str
    events: list[str]


class WebhookEventOut(Schema):
    name: str
    description: str


class DeliveryOut(Schema):
    id: int
    subscription_id: int
    event: str
    event_id: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    payload: dict[str, Any] = Field(description="The JSON body that is POSTed.")

    @staticmethod
    def resolve_event_id(obj: WebhookDelivery) -> str:
        return str(obj.event_id)


class DeliveryListParams(ListParams):
    ordering: Literal["created_at", "-created_at"] = "-created_at"
    status: DeliveryStatus | None = None


@router.get("/webhook-events", response=ResultList[WebhookEventOut], tags=["webhooks"])
def list_webhook_events(request: HttpRequest) -> dict[str, Any]:
    """The events a webhook can subscribe to."""
    request_membership(request)
    return {"results": [{"name": n, "description": d} for n, d in EVENT_NAMES.items()]}


@router.get("/webhooks", response=ResultList[WebhookOut], tags=["webhooks"])
def list_webhooks(request: HttpRequest) -> dict[str, Any]:
    return {"results": list(selectors.webhook_list(_admin(request).workspace))}


@router.post("/webhooks", response={201: WebhookCreatedOut}, tags=["webhooks"])
def create_webhook(request: HttpRequest, payload: WebhookIn) -> Status[Any]:
    """Subscribe a URL to events. Generic webhooks get a signing secret, shown this once."""
    actor = _admin(request)
    subscription, secret = services.webhook_create(actor=actor, values=payload.to_values())
    created = selectors.webhook_get(actor.workspace, subscription.pk)
    return Status(
        201, {**WebhookOut.model_validate(created).model_dump(), "signing_secret": secret}
    )


@router.get("/webhooks/{webhook_id}", response=WebhookOut, tags=["webhooks"])
def get_webhook(request: HttpRequest, webhook_id: RecordId) -> WebhookSubscription:
    return selectors.webhook_get(_admin(request).workspace, webhook_id)


@router.patch("/webhooks/{webhook_id}", response=WebhookOut, tags=["webhooks"])
def update_webhook(
    request: HttpRequest, webhook_id: RecordId, payload: WebhookPatch
) -> WebhookSubscription:
    actor = _admin(request)
    services.webhook_update(actor=actor, subscription_id=webhook_id, values=payload.to_values())
    return selectors.webhook_get(actor.workspace, webhook_id)


@router.delete("/webhooks/{webhook_id}", response={204: None}, tags=["webhooks"])
def delete_webhook(request: HttpRequest, webhook_id: RecordId) -> Status[None]:
    """Delete a webhook and its delivery log."""
    services.webhook_delete(actor=_admin(request), subscription_id=webhook_id)
    return Status(204, None)


@router.post("/webhooks/{webhook_id}/rotate-secret", response=WebhookCreatedOut, tags=["webhooks"])
def rotate_webhook_secret(request: HttpRequest, webhook_id: RecordId) -> dict[str, Any]:
    """Issue a new signing secret, shown this once; the old one stops working at once."""
    actor = _admin(request)
    _, secret = services.webhook_rotate_secret(actor=actor, subscription_id=webhook_id)
    current = selectors.webhook_get(actor.workspace, webhook_id)
    return {**WebhookOut.model_validate(current).model_dump(), "signing_secret": secret}


@router.post("/webhooks/{webhook_id}/ping", response=DeliveryOut, tags=["webhooks"])
def ping_webhook(request: HttpRequest, webhook_id: RecordId) -> WebhookDelivery:
    """Send a "ping" event now (once, no retries) and return the delivery with its outcome."""
    return services.webhook_ping(actor=_admin(request), subscription_id=webhook_id)


@router.get("/webhooks/{webhook_id}/deliveries", response=Page[DeliveryOut], tags=["webhooks"])
def list_webhook_deliveries(
    request: HttpRequest, webhook_id: RecordId, params: Query[DeliveryListParams]
) -> PageResult[WebhookDelivery]:
    """The delivery log: status, attempts, last status code and error of every delivery."""
    workspace = _admin(request).workspace
    subscription = selectors.webhook_get(workspace, webhook_id)
    deliveries = selectors.delivery_list(workspace, subscription.pk, params.status or "")
    return paginate_params(deliveries, params)


@router.get(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}", response=DeliveryOut, tags=["webhooks"]
)
def get_webhook_delivery(
    request: HttpRequest, webhook_id: RecordId, delivery_id: RecordId
) -> WebhookDelivery:
    return selectors.delivery_get(_admin(request).workspace, webhook_id, delivery_id)


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
    response={202: DeliveryOut},
    tags=["webhooks"],
)
def retry_webhook_delivery(
    request: HttpRequest, webhook_id: RecordId, delivery_id: RecordId
) -> Status[Any]:
    """Queue another attempt now (for a failed, retrying or pending delivery)."""
    delivery = services.delivery_retry(
        actor=_admin(request), subscription_id=webhook_id, delivery_id=delivery_id
    )
    return Status(202, delivery)
