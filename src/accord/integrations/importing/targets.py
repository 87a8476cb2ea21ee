"""The fields an import can fill, per record type, with the header names people use for them.

A target is either a field of the record (`email`), a reference resolved during the import
(`company_name`, `owner`), or `custom:<column>` for a column kept in the record's custom fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RECORD_TYPES = ("contacts", "companies", "deals", "activities", "campaigns", "touchpoints")


def header_key(header: str) -> str:
    """'Person - Email - Work' -> 'personemailwork': how headers are compared."""
    return re.sub(r"[^a-z0-9]", "", header.lower())


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    aliases: tuple[str, ...] = ()


def _t(name: str, label: str, *aliases: str) -> Target:
    return Target(name, label, (name, label, *aliases))


# Targets every record type has. No header maps to them by name alone (an `id` column of
# another system's file is that system's id): the "Accord export" preset, or a person, maps
# them.
ACCORD_ID = "accord_id"  # the record's id in this workspace: matches the existing record
CUSTOM_FIELDS = "custom_fields"  # a JSON object of custom fields, as Accord exports them
IGNORED = "ignored"  # a column that is read past (an export's read-only columns)
_SHARED = [
    Target(ACCORD_ID, "Accord id (matches the record)"),
    Target(CUSTOM_FIELDS, "Custom fields (JSON object)"),
    Target(IGNORED, "Not imported (ignored)"),
]


TARGETS: dict[str, list[Target]] = {
    "contacts": [
        _t("email", "Email", "email address", "e-mail", "work email", "business email"),
        _t("first_name", "First name", "firstname", "given name"),
        _t("last_name", "Last name", "lastname", "surname", "family name"),
        _t("full_name", "Full name", "name", "contact name", "person name"),
        _t("title", "Job title", "title", "position", "role"),
        _t("seniority", "Seniority", "job level", "level"),
        _t("department", "Department", "job function", "function"),
        _t("phone", "Phone", "phone number", "telephone", "mobile", "mobile phone number"),
        _t("company_name", "Company name", "company", "organization", "organisation", "account"),
        _t("company_domain", "Company website", "website", "website url", "domain"),
        _t("country", "Country", "country region", "country code"),
        _t("owner", "Owner", "contact owner", "lead owner", "owner email", "sales owner"),
        _t("lifecycle_stage", "Lifecycle stage", "stage", "lifecyclestage"),
        _t("lead_status", "Lead status", "status"),
        _t(
            "original_source", "Original source", "lead source", "source", "original traffic source"
        ),
        _t("utm_source", "UTM source"),
        _t("utm_medium", "UTM medium"),
        _t("utm_campaign", "UTM campaign"),
        _t("utm_content", "UTM content"),
        _t("utm_term", "UTM term"),
        _t("created_at", "Created", "create date", "created date", "createdate", "date created"),
        _t("external_id", "External id", "record id", "contact id", "lead id"),
    ],
    "companies": [
        _t("name", "Company name", "name", "company", "account name", "organization name"),
        _t("domain", "Domain", "company domain name", "website", "website url"),
        _t("industry", "Industry"),
        _t("employee_count", "Employees", "number of employees", "no of employees", "employees"),
        _t("country", "Country", "country region", "billing country"),
        _t("owner", "Owner", "company owner", "account owner"),
        _t("created_at", "Created", "create date", "created date"),
        _t("external_id", "External id", "record id", "account id", "company id"),
    ],
    "deals": [
        _t("name", "Deal name", "name", "opportunity name", "title", "deal title"),
        _t("amount", "Amount", "value", "deal value"),
        _t("currency", "Currency", "currency code", "deal currency"),
        _t("stage", "Deal stage", "stage", "stage name", "pipeline stage"),
        _t("pipeline", "Pipeline"),
        _t("status", "Status", "deal status", "won lost"),
        _t("owner", "Owner", "deal owner", "opportunity owner"),
        _t("company_name", "Company name", "company", "account name", "organization"),
        _t("company_domain", "Company domain", "website", "domain"),
        _t("contact_email", "Contact email", "primary contact email", "email"),
        _t("created_at", "Created", "create date", "created date"),
        _t("expected_close_date", "Expected close date", "close date", "closedate"),
        _t("closed_at", "Closed", "won time", "lost time", "closed date", "close time"),
        _t("source", "Source", "lead source", "original source"),
        _t("close_reason", "Close reason", "lost reason", "closed lost reason", "won reason"),
        _t("external_id", "External id", "record id", "deal id", "opportunity id"),
    ],
    "activities": [
        _t("kind", "Type", "activity type", "kind"),
        _t("subject", "Subject", "title"),
        _t("body", "Notes", "body", "description", "note", "comments"),
        _t("occurred_at", "Date", "activity date", "due date", "timestamp", "done time"),
        _t("occurred_time", "Time", "activity time", "due time"),
        _t("contact_email", "Contact email", "email", "person email"),
        _t("deal", "Deal", "deal name", "deal title"),
        _t("user", "Assigned to", "user", "owner", "activity owner", "assigned to user"),
        _t("direction", "Direction"),
        _t("outcome", "Outcome", "call outcome", "result"),
        Target("deal_id", "Deal (Accord id)"),
        _t("external_id", "External id", "activity id"),
    ],
    "campaigns": [
        _t("name", "Campaign name", "name", "campaign"),
        _t("channel", "Channel"),
        _t("type", "Type", "campaign type"),
        _t("start_date", "Start date", "start"),
        _t("end_date", "End date", "end"),
        _t("budget", "Budget", "budgeted cost"),
        _t("actual_cost", "Actual cost", "cost", "spend"),
        _t("currency", "Currency"),
        _t("utm_campaign", "UTM campaign"),
    ],
    "touchpoints": [
        _t("contact_email", "Email", "contact email"),
        _t("campaign", "Campaign", "campaign name"),
        _t("channel", "Channel", "source"),
        _t("type", "Type", "event", "event type", "interaction"),
        _t("occurred_at", "Occurred at", "timestamp", "date", "time"),
        _t("utm_source", "UTM source"),
        _t("utm_medium", "UTM medium"),
        _t("utm_campaign", "UTM campaign"),
        _t("utm_content", "UTM content"),
        _t("utm_term", "UTM term"),
        _t("landing_page", "Landing page", "page url", "url"),
        _t("referrer", "Referrer", "referrer url"),
    ],
}

for _targets in TARGETS.values():
    _targets.extend(_SHARED)

# The targets that hold dates or times: their day/month order is decided per file (`dates`).
DATE_TARGETS: dict[str, tuple[str, ...]] = {
    "contacts": ("created_at",),
    "companies": ("created_at",),
    "deals": ("created_at", "expected_close_date", "closed_at"),
    "activities": ("occurred_at",),
    "campaigns": ("start_date", "end_date"),
    "touchpoints": ("occurred_at",),
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "contacts": ("email",),
    "companies": ("name",),
    "deals": ("name",),
    "activities": ("kind", "occurred_at"),
    "campaigns": ("name", "channel"),
    "touchpoints": ("contact_email", "type", "occurred_at"),
}


def target_names(record_type: str) -> set[str]:
    return {t.name for t in TARGETS[record_type]}
