"""REST endpoints for a contact's personal data: the subject access document and erasure."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from accord.api.auth import request_actor
from accord.api.schemas import RecordId
from accord.integrations.privacy.erase import erase_contact
from accord.integrations.privacy.export import personal_data_export

router = Router(tags=["contacts"])


class ErasureOut(Schema):
    contact_id: int
    removed: dict[str, int]
    scrubbed: dict[str, int]
    deals_kept: int


@router.get("/contacts/{contact_id}/personal-data", response=dict[str, Any])
def contact_personal_data(request: HttpRequest, contact_id: RecordId) -> dict[str, Any]:
    """Everything held about the contact, as one JSON document (`schema_version` 1): its
    fields, ledger, touchpoints, activities, handoffs, deals, score, experiment assignments,
    webhook deliveries and stored responses naming it, import rows, and audit entries.
    Admins and managers only; the export is audited."""
    return personal_data_export(actor=request_actor(request), contact_id=contact_id)


@router.post("/contacts/{contact_id}/erase", response=ErasureOut)
def contact_erase(request: HttpRequest, contact_id: RecordId) -> dict[str, Any]:
    """Erase the contact with everything that points to it, and scrub its personal data from
    webhook deliveries, stored responses and import files. Deals stay, without the contact.
    Admins and managers only; audited as `contact.erased` with counts only."""
    return erase_contact(actor=request_actor(request), contact_id=contact_id).as_json()
