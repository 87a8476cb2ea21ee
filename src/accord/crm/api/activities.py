"""REST endpoints of the CRM: activities."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from accord.api.auth import request_actor, request_membership
from accord.api.pagination import ListParams, Page, PageResult, paginate_params
from accord.api.schemas import InSchema, RecordId, aware
from accord.core.errors import NeedsConfirmation
from accord.crm import selectors
from accord.crm.api.rendering import display_name
from accord.crm.models import (
    Activity,
    ActivityKind,
)
from accord.crm.services import activities

router = Router()


class ActivityOut(Schema):
    id: int
    kind: ActivityKind
    user_id: int | None
    user_name: str | None
    contact_id: int | None
    deal_id: int | None
    direction: str
    outcome: str
    subject: str
    body: str
    occurred_at: dt.datetime
    custom_fields: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_user_name(obj: Activity) -> str | None:
        return display_name(obj.user)


class ActivityPatch(InSchema):
    kind: str | None = Field(None, description="call, email, meeting or note.")
    user_id: RecordId | None = Field(None, description="Default: the caller.")
    contact_id: RecordId | None = None
    deal_id: RecordId | None = None
    direction: str | None = None
    outcome: str | None = None
    subject: str | None = None
    body: str | None = None
    occurred_at: dt.datetime | None = Field(None, description="Default: now.")
    custom_fields: dict[str, Any] | None = None


# The warning key of the buyer's contact cap (`fields.confirm` of its 409).
CONTACT_CAP = "contact_cap"


class ActivityIn(ActivityPatch):
    kind: str = Field(description="call, email, meeting or note.")
    confirm_contact_cap: bool = Field(
        False,
        description=(
            "Log the touch even though it takes the contact over the SLA's contact cap (the "
            '409 `confirmation_required` with `fields.confirm = ["contact_cap"]`); the '
            "touch is recorded as a contact-cap violation."
        ),
    )


class ActivityListParams(ListParams):
    ordering: Literal["occurred_at", "-occurred_at", "created_at", "-created_at"] = "-occurred_at"
    kind: ActivityKind | None = None
    user_id: RecordId | None = None
    contact_id: RecordId | None = None
    deal_id: RecordId | None = None
    after: dt.datetime | None = Field(None, description="occurred_at on or after (inclusive).")
    before: dt.datetime | None = Field(None, description="occurred_at before (exclusive).")

    def filters(self) -> selectors.ActivityFilters:
        return selectors.ActivityFilters(
            kind=self.kind or "",
            user_id=self.user_id,
            contact_id=self.contact_id,
            deal_id=self.deal_id,
            after=aware(self.after),
            before=aware(self.before),
        )


@router.get("/activities", response=Page[ActivityOut], tags=["activities"])
def list_activities(
    request: HttpRequest, params: Query[ActivityListParams]
) -> PageResult[Activity]:
    workspace = request_membership(request).workspace
    return paginate_params(selectors.activity_list(workspace, params.filters()), params)


@router.post("/activities", response={201: ActivityOut}, tags=["activities"])
def create_activity(request: HttpRequest, payload: ActivityIn) -> Status[Any]:
    """Log an activity. A touch over the buyer's contact cap is refused with 409
    `confirmation_required` until repeated with `"confirm_contact_cap": true`."""
    actor = request_actor(request)
    values = payload.to_values()
    confirmed = [CONTACT_CAP] if values.pop("confirm_contact_cap", False) else []
    try:
        activity = activities.activity_create(actor=actor, values=values, confirmed=confirmed)
    except NeedsConfirmation as exc:
        if exc.warning != CONTACT_CAP:
            raise
        # The service's message says "confirm"; here is how, through this endpoint.
        raise NeedsConfirmation(
            f'{exc.message} To confirm, send the request again with "confirm_contact_cap": true.',
            warning=exc.warning,
            details=exc.details,
        ) from exc
    return Status(201, selectors.activity_get(actor.workspace, activity.pk))


@router.get("/activities/{activity_id}", response=ActivityOut, tags=["activities"])
def get_activity(request: HttpRequest, activity_id: RecordId) -> Activity:
    return selectors.activity_get(request_membership(request).workspace, activity_id)


@router.patch("/activities/{activity_id}", response=ActivityOut, tags=["activities"])
def update_activity(
    request: HttpRequest, activity_id: RecordId, payload: ActivityPatch
) -> Activity:
    actor = request_actor(request)
    activities.activity_update(actor=actor, activity_id=activity_id, values=payload.to_values())
    return selectors.activity_get(actor.workspace, activity_id)


@router.delete("/activities/{activity_id}", response={204: None}, tags=["activities"])
def delete_activity(request: HttpRequest, activity_id: RecordId) -> Status[None]:
    activities.activity_delete(actor=request_actor(request), activity_id=activity_id)
    return Status(204, None)
