"""GET /api/v1/audit: the workspace's audit log for its admins, newest first, with the same
filters as the page and cursor pagination."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from accord.api.auth import request_actor
from accord.api.pagination import ListParams, Page, PageResult, paginate
from accord.api.schemas import RecordId, aware
from accord.identity.audit import AuditEntry
from accord.identity.audit_log import AuditFilters, audit_entries

router = Router(tags=["audit"])


class AuditEntryOut(Schema):
    id: int
    occurred_at: dt.datetime
    actor: str = Field(alias="actor_label", description="Who, and through which entry point.")
    user_id: int | None
    source: str = Field(description="web, api, cli, import, rule, demo or system.")
    remote_addr: str | None = Field(description="The request's IP address, where known.")
    action: str = Field(description="A dotted name, e.g. definition.approved.")
    object_type: str
    object_id: str
    object_label: str
    before: Any = Field(description="Changed fields before (all fields for a deletion).")
    after: Any = Field(description="Changed fields after (all fields for a creation).")
    note: str


class AuditListParams(ListParams):
    action: str = Field("", description="An action, or a prefix ending in '.' (definition.).")
    user_id: RecordId | None = Field(None, description="Entries of this acting user.")
    object_type: str = ""
    object_id: str = ""
    since: dt.datetime | None = Field(None, description="Inclusive.")
    until: dt.datetime | None = Field(None, description="Exclusive.")

    def filters(self) -> AuditFilters:
        return AuditFilters(
            action=self.action.strip(),
            user_id=self.user_id,
            object_type=self.object_type.strip(),
            object_id=self.object_id.strip(),
            since=aware(self.since),
            until=aware(self.until),
        )


@router.get("/audit", response=Page[AuditEntryOut])
def list_audit(request: HttpRequest, params: Query[AuditListParams]) -> PageResult[AuditEntry]:
    """The audit log (admins only): who changed what, when, from where, before and after."""
    entries = audit_entries(request_actor(request), params.filters())
    return paginate(entries, ordering="-occurred_at", limit=params.limit, cursor=params.cursor)
