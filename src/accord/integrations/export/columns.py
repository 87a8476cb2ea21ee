"""What each export contains: (header, ORM path) per record type, read with values_list so a
million rows stream without building model instances."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from accord.crm import selectors as crm
from accord.identity.models import Workspace
from accord.marketing import selectors as marketing

COLUMNS: dict[str, list[tuple[str, str]]] = {
    "contacts": [
        ("id", "id"), ("email", "email"), ("first_name", "first_name"),
        ("last_name", "last_name"), ("title", "title"), ("seniority", "seniority"),
        ("department", "department"), ("phone", "phone"), ("company_id", "company_id"),
        ("company", "company__name"), ("company_domain", "company__domain"),
        ("country", "country"), ("owner_email", "owner__email"),
        ("lifecycle_stage", "lifecycle_stage"), ("lead_status", "lead_status"),
        ("original_source", "original_source"), ("utm_source", "utm_source"),
        ("utm_medium", "utm_medium"), ("utm_campaign", "utm_campaign"),
        ("utm_content", "utm_content"), ("utm_term", "utm_term"),
        ("external_id", "external_id"), ("custom_fields", "custom_fields"),
        ("created_at", "created_at"), ("updated_at", "updated_at"),
    ],
    "companies": [
        ("id", "id"), ("name", "name"), ("domain", "domain"), ("industry", "industry"),
        ("employee_count", "employee_count"), ("country", "country"),
        ("owner_email", "owner__email"), ("external_id", "external_id"),
        ("custom_fields", "custom_fields"), ("created_at", "created_at"),
    ],
    "deals": [
        ("id", "id"), ("name", "name"), ("pipeline", "pipeline__name"), ("stage", "stage__key"),
        ("status", "status"), ("amount", "amount"), ("currency", "currency"),
        ("owner_email", "owner__email"), ("company", "company__name"),
        ("primary_contact_email", "primary_contact__email"),
        ("expected_close_date", "expected_close_date"), ("closed_at", "closed_at"),
        ("source", "source"), ("close_reason", "close_reason"), ("external_id", "external_id"),
        ("created_at", "created_at"),
    ],
    "activities": [
        ("id", "id"), ("kind", "kind"), ("user_email", "user__email"),
        ("contact_email", "contact__email"), ("deal_id", "deal_id"), ("direction", "direction"),
        ("outcome", "outcome"), ("subject", "subject"), ("body", "body"),
        ("occurred_at", "occurred_at"),
    ],
    "campaigns": [
        ("id", "id"), ("name", "name"), ("channel", "channel"), ("type", "type"),
        ("start_date", "start_date"), ("end_date", "end_date"), ("budget", "budget"),
        ("currency", "currency"), ("utm_campaign", "utm_campaign"),
    ],
    "touchpoints": [
        ("id", "id"), ("contact_email", "contact__email"), ("campaign", "campaign__name"),
        ("channel", "channel"), ("type", "type"), ("occurred_at", "occurred_at"),
        ("utm_source", "utm_source"), ("utm_medium", "utm_medium"),
        ("utm_campaign", "utm_campaign"), ("utm_content", "utm_content"),
        ("utm_term", "utm_term"), ("landing_page", "landing_page"), ("referrer", "referrer"),
    ],
    "ledger": [
        ("id", "id"), ("contact_id", "contact_id"), ("contact_email", "contact__email"),
        ("from_stage", "from_stage"), ("to_stage", "to_stage"), ("occurred_at", "occurred_at"),
        ("actor_email", "actor_user__email"), ("source", "source"), ("rule", "rule"),
        ("definition_version", "definition_version"), ("reason", "reason"),
    ],
}  # fmt: skip

LISTS: dict[str, tuple[type, Callable[[Workspace, Any], QuerySet[Any]]]] = {
    "contacts": (crm.ContactFilters, crm.contact_list),
    "companies": (crm.CompanyFilters, crm.company_list),
    "deals": (crm.DealFilters, crm.deal_list),
    "activities": (crm.ActivityFilters, crm.activity_list),
    "ledger": (crm.LedgerFilters, crm.ledger_list),
    "campaigns": (marketing.CampaignFilters, marketing.campaign_list),
    "touchpoints": (marketing.TouchpointFilters, marketing.touchpoint_list),
}
EXPORT_TYPES = tuple(COLUMNS)
