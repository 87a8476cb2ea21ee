"""Mapping presets for the standard exports of HubSpot, Salesforce, Pipedrive and Accord.

Each preset maps the export's column headers to Accord targets and translates the exporting
system's value sets (lifecycle stages, lead statuses, lead sources, deal stages) to Accord's.
Headers and values are compared by `header_key` (lower case, letters and digits only), so
'Lifecycle Stage', 'lifecyclestage' and 'LIFECYCLE_STAGE' are the same column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accord.integrations.importing.targets import header_key


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    # Headers only this system's exports carry; the preset with most matches is chosen.
    signature: tuple[str, ...]
    columns: dict[str, dict[str, str]]  # record type -> {header: target}
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # target -> {value: ours}
    # The day/month order of the system's 'a/b/YYYY' dates when it has one whatever the user's
    # locale (True: D/M/YYYY, False: M/D/YYYY); None: not declared, decided from the file.
    day_first: bool | None = None

    def column_target(self, record_type: str, header: str) -> str | None:
        table = {header_key(h): t for h, t in self.columns.get(record_type, {}).items()}
        return table.get(header_key(header))

    def value_map(self, target: str) -> dict[str, str]:
        return {header_key(k): v for k, v in self.values.get(target, {}).items()}


HUBSPOT_LIFECYCLE = {
    "subscriber": "subscriber",
    "lead": "lead",
    "marketingqualifiedlead": "mql",
    "marketing qualified lead": "mql",
    "salesqualifiedlead": "sql",
    "sales qualified lead": "sql",
    "opportunity": "opportunity",
    "customer": "customer",
    "evangelist": "customer",
    "other": "lead",
}
HUBSPOT_LEAD_STATUS = {
    "new": "new",
    "open": "open",
    "in_progress": "in_progress",
    "in progress": "in_progress",
    "open_deal": "open_deal",
    "open deal": "open_deal",
    "unqualified": "unqualified",
    "attempted_to_contact": "attempted_to_contact",
    "attempted to contact": "attempted_to_contact",
    "connected": "connected",
    "bad_timing": "bad_timing",
    "bad timing": "bad_timing",
}
HUBSPOT_SOURCE = {
    "organic_search": "organic_search",
    "organic search": "organic_search",
    "paid_search": "paid_search",
    "paid search": "paid_search",
    "email_marketing": "email",
    "email marketing": "email",
    "social_media": "organic_social",
    "organic social": "organic_social",
    "social media": "organic_social",
    "paid_social": "paid_social",
    "paid social": "paid_social",
    "referrals": "referral",
    "ai_referrals": "referral",
    "ai referrals": "referral",
    "other_campaigns": "other",
    "other campaigns": "other",
    "direct_traffic": "direct",
    "direct traffic": "direct",
    "offline": "event",
    "offline sources": "event",
}
HUBSPOT_DEAL_STAGES = {
    "appointmentscheduled": "discovery",
    "appointment scheduled": "discovery",
    "qualifiedtobuy": "qualification",
    "qualified to buy": "qualification",
    "presentationscheduled": "demo",
    "presentation scheduled": "demo",
    "decisionmakerboughtin": "proposal",
    "decision maker bought-in": "proposal",
    "contractsent": "negotiation",
    "contract sent": "negotiation",
    "closedwon": "closed_won",
    "closed won": "closed_won",
    "closedlost": "closed_lost",
    "closed lost": "closed_lost",
}

HUBSPOT = Preset(
    name="hubspot",
    label="HubSpot export",
    signature=("Record ID", "Lifecycle Stage", "Contact owner", "Original Source",
               "Company Domain Name", "Deal Stage", "Deal owner", "Create Date"),
    columns={
        "contacts": {
            "Record ID": "external_id", "First Name": "first_name", "Last Name": "last_name",
            "Email": "email", "Phone Number": "phone", "Mobile Phone Number": "phone",
            "Job Title": "title", "Job function": "department",
            "Lifecycle Stage": "lifecycle_stage",
            "Lead Status": "lead_status", "Contact owner": "owner", "HubSpot Owner": "owner",
            "Original Source": "original_source", "Original Traffic Source": "original_source",
            "Create Date": "created_at", "Company Name": "company_name",
            "Website URL": "company_domain", "Country/Region": "country",
            "Associated Company": "company_name",
        },
        "companies": {
            "Record ID": "external_id", "Company name": "name", "Name": "name",
            "Company Domain Name": "domain", "Website URL": "domain", "Industry": "industry",
            "Number of Employees": "employee_count", "Country/Region": "country",
            "Company owner": "owner", "Create Date": "created_at",
        },
        "deals": {
            "Record ID": "external_id", "Deal Name": "name", "Amount": "amount",
            "Currency": "currency", "Deal Stage": "stage", "Pipeline": "pipeline",
            "Deal owner": "owner", "Create Date": "created_at", "Close Date": "closed_at",
            "Associated Company": "company_name", "Associated Contact": "contact_email",
            "Original Source": "source", "Closed Lost Reason": "close_reason",
            "Closed Won Reason": "close_reason",
        },
    },
    values={
        "lifecycle_stage": HUBSPOT_LIFECYCLE,
        "lead_status": HUBSPOT_LEAD_STATUS,
        "original_source": HUBSPOT_SOURCE,
        "source": HUBSPOT_SOURCE,
        "stage": HUBSPOT_DEAL_STAGES,
    },
)  # fmt: skip

SALESFORCE_SOURCE = {
    "web": "organic_search",
    "phone inquiry": "direct",
    "partner referral": "partner",
    "partner": "partner",
    "purchased list": "other",
    "other": "other",
    "advertisement": "paid_search",
    "employee referral": "referral",
    "external referral": "referral",
    "word of mouth": "referral",
    "public relations": "other",
    "seminar - internal": "webinar",
    "seminar - partner": "webinar",
    "webinar": "webinar",
    "trade show": "event",
    "email": "email",
}
SALESFORCE_STATUS = {
    "open - not contacted": "new",
    "working - contacted": "attempted_to_contact",
    "closed - converted": "open_deal",
    "closed - not converted": "unqualified",
    "open": "open",
    "contacted": "connected",
    "qualified": "connected",
    "unqualified": "unqualified",
    "nurturing": "bad_timing",
}
SALESFORCE_DEAL_STAGES = {
    "prospecting": "qualification",
    "qualification": "qualification",
    "needs analysis": "discovery",
    "value proposition": "demo",
    "id. decision makers": "demo",
    "perception analysis": "proposal",
    "proposal/price quote": "proposal",
    "negotiation/review": "negotiation",
    "closed won": "closed_won",
    "closed lost": "closed_lost",
}

SALESFORCE_CAMPAIGN_TYPES = {
    "advertisement": "paid_search",
    "banner ads": "paid_social",
    "conference": "event",
    "direct mail": "other",
    "email": "email",
    "partners": "partner",
    "public relations": "other",
    "referral program": "referral",
    "telemarketing": "outbound",
    "trade show": "event",
    "webinar": "webinar",
    "other": "other",
}

SALESFORCE = Preset(
    name="salesforce",
    label="Salesforce export (Data Loader or report)",
    signature=("LeadSource", "Lead Source", "Lead Status", "Lead Owner", "OwnerId", "CreatedDate",
               "Company / Account", "Opportunity Name", "StageName", "AccountId", "Lead ID",
               "Budgeted Cost", "Actual Cost", "BudgetedCost", "ActualCost"),
    columns={
        "contacts": {
            "Id": "external_id", "Lead ID": "external_id", "Contact ID": "external_id",
            "FirstName": "first_name", "First Name": "first_name", "LastName": "last_name",
            "Last Name": "last_name", "Email": "email", "Title": "title", "Phone": "phone",
            "MobilePhone": "phone", "Company": "company_name", "Company / Account": "company_name",
            "Account Name": "company_name", "Website": "company_domain",
            "LeadSource": "original_source", "Lead Source": "original_source",
            "Status": "lead_status", "Lead Status": "lead_status", "Country": "country",
            "OwnerId": "owner", "Lead Owner": "owner", "Contact Owner": "owner",
            "CreatedDate": "created_at", "Create Date": "created_at", "Created Date": "created_at",
            "Department": "department",
        },
        "companies": {
            "Id": "external_id", "Account ID": "external_id", "Name": "name",
            "Account Name": "name", "Website": "domain", "Industry": "industry",
            "NumberOfEmployees": "employee_count", "Employees": "employee_count",
            "BillingCountry": "country", "Billing Country": "country", "OwnerId": "owner",
            "Account Owner": "owner", "CreatedDate": "created_at", "Created Date": "created_at",
        },
        "deals": {
            "Id": "external_id", "Opportunity ID": "external_id", "Name": "name",
            "Opportunity Name": "name", "Amount": "amount", "CurrencyIsoCode": "currency",
            "Opportunity Currency": "currency", "StageName": "stage", "Stage": "stage",
            "OwnerId": "owner", "Opportunity Owner": "owner", "Account Name": "company_name",
            "CreatedDate": "created_at", "Created Date": "created_at",
            "CloseDate": "expected_close_date",
            "Close Date": "expected_close_date", "LeadSource": "source", "Lead Source": "source",
        },
        # A campaign's Type (Webinar, Trade Show, Advertisement …) says its channel.
        "campaigns": {
            "Campaign Name": "name", "Name": "name", "Type": "channel",
            "Start Date": "start_date", "StartDate": "start_date", "End Date": "end_date",
            "EndDate": "end_date", "Budgeted Cost": "budget", "BudgetedCost": "budget",
            "Actual Cost": "actual_cost", "ActualCost": "actual_cost",
            "CurrencyIsoCode": "currency", "Campaign Currency": "currency",
        },
    },
    values={
        "original_source": SALESFORCE_SOURCE,
        "source": SALESFORCE_SOURCE,
        "lead_status": SALESFORCE_STATUS,
        "stage": SALESFORCE_DEAL_STAGES,
        "channel": SALESFORCE_CAMPAIGN_TYPES,
    },
)  # fmt: skip

PIPEDRIVE_DEAL_STAGES = {
    "lead in": "qualification",
    "qualified": "qualification",
    "contact made": "discovery",
    "demo scheduled": "demo",
    "needs defined": "discovery",
    "proposal made": "proposal",
    "negotiations started": "negotiation",
}

PIPEDRIVE = Preset(
    name="pipedrive",
    label="Pipedrive export",
    signature=("Person - Name", "Person - Email", "Person - Owner", "Organization - Name",
               "Deal - Title", "Deal - Value", "Deal - Stage", "Person - Organization",
               "Activity - Type", "Activity - Subject"),
    columns={
        "contacts": {
            "Person - ID": "external_id", "Person - Name": "full_name",
            "Person - First name": "first_name", "Person - Last name": "last_name",
            "Person - Email": "email", "Person - Email - Work": "email",
            "Person - Email - Home": "email", "Person - Email - Other": "email",
            "Person - Phone": "phone", "Person - Phone - Work": "phone",
            "Person - Phone - Mobile": "phone", "Person - Organization": "company_name",
            "Person - Owner": "owner", "Person - Job title": "title",
            "Person - Person created": "created_at", "Person - Add time": "created_at",
        },
        "companies": {
            "Organization - ID": "external_id", "Organization - Name": "name",
            "Organization - Website": "domain", "Organization - Industry": "industry",
            "Organization - Number of employees": "employee_count",
            "Organization - Owner": "owner", "Organization - Organization created": "created_at",
            "Organization - Add time": "created_at",
        },
        "deals": {
            "Deal - ID": "external_id", "Deal - Title": "name", "Deal - Value": "amount",
            "Deal - Currency": "currency", "Deal - Stage": "stage", "Deal - Pipeline": "pipeline",
            "Deal - Status": "status", "Deal - Owner": "owner",
            "Deal - Organization": "company_name",
            "Deal - Contact person": "contact_email", "Deal - Deal created": "created_at",
            "Deal - Add time": "created_at", "Deal - Expected close date": "expected_close_date",
            "Deal - Won time": "closed_at", "Deal - Lost time": "closed_at",
            "Deal - Lost reason": "close_reason", "Deal - Source origin": "source",
        },
        "activities": {
            "Activity - ID": "external_id", "Activity - Type": "kind",
            "Activity - Subject": "subject", "Activity - Note": "body",
            "Activity - Due date": "occurred_at", "Activity - Done time": "occurred_at",
            "Activity - Due time": "occurred_time", "Activity - Deal": "deal",
            "Activity - Assigned to user": "user", "Person - Email": "contact_email",
        },
    },
    values={"stage": PIPEDRIVE_DEAL_STAGES},
)  # fmt: skip

# Accord's own exports (`accord.integrations.export.columns`, which a test keeps equal to
# these headers; that module needs Django, this one runs in the reader process too): `id` is
# the record's id in the workspace and matches it, `custom_fields` is a JSON object, and the
# columns an import cannot set (`company_id`, `updated_at`) are read past.
_SAME = "="  # the header is the target's own name
ACCORD_EXPORT_COLUMNS: dict[str, dict[str, str]] = {
    "contacts": {
        "id": "accord_id", "email": _SAME, "first_name": _SAME, "last_name": _SAME,
        "title": _SAME, "seniority": _SAME, "department": _SAME, "phone": _SAME,
        "company_id": "ignored", "company": "company_name", "company_domain": _SAME,
        "country": _SAME, "owner_email": "owner", "lifecycle_stage": _SAME,
        "lead_status": _SAME, "original_source": _SAME, "utm_source": _SAME,
        "utm_medium": _SAME, "utm_campaign": _SAME, "utm_content": _SAME, "utm_term": _SAME,
        "external_id": _SAME, "custom_fields": _SAME, "created_at": _SAME,
        "updated_at": "ignored",
    },
    "companies": {
        "id": "accord_id", "name": _SAME, "domain": _SAME, "industry": _SAME,
        "employee_count": _SAME, "country": _SAME, "owner_email": "owner",
        "external_id": _SAME, "custom_fields": _SAME, "created_at": _SAME,
    },
    "deals": {
        "id": "accord_id", "name": _SAME, "pipeline": _SAME, "stage": _SAME, "status": _SAME,
        "amount": _SAME, "currency": _SAME, "owner_email": "owner", "company": "company_name",
        "primary_contact_email": "contact_email", "expected_close_date": _SAME,
        "closed_at": _SAME, "source": _SAME, "close_reason": _SAME, "external_id": _SAME,
        "created_at": _SAME,
    },
    "activities": {
        "id": "accord_id", "kind": _SAME, "user_email": "user", "contact_email": _SAME,
        "deal_id": _SAME, "direction": _SAME, "outcome": _SAME, "subject": _SAME,
        "body": _SAME, "occurred_at": _SAME,
    },
    "campaigns": {
        "id": "accord_id", "name": _SAME, "channel": _SAME, "type": _SAME,
        "start_date": _SAME, "end_date": _SAME, "budget": _SAME, "currency": _SAME,
        "utm_campaign": _SAME,
    },
    "touchpoints": {
        "id": "accord_id", "contact_email": _SAME, "campaign": _SAME, "channel": _SAME,
        "type": _SAME, "occurred_at": _SAME, "utm_source": _SAME, "utm_medium": _SAME,
        "utm_campaign": _SAME, "utm_content": _SAME, "utm_term": _SAME,
        "landing_page": _SAME, "referrer": _SAME,
    },
}  # fmt: skip

ACCORD = Preset(
    name="accord",
    label="Accord export",
    signature=(),  # recognised by the whole export header of the record type (see below)
    columns={
        record_type: {h: (h if t == _SAME else t) for h, t in columns.items()}
        for record_type, columns in ACCORD_EXPORT_COLUMNS.items()
    },
)

PRESETS: dict[str, Preset] = {p.name: p for p in (HUBSPOT, SALESFORCE, PIPEDRIVE, ACCORD)}


def is_accord_export(record_type: str, header: list[str]) -> bool:
    """Whether the header carries every column of Accord's export of this record type (in any
    order; columns added in a spreadsheet are kept as custom fields). A file that lacks one is
    not taken for an Accord export: its `id` column could be anyone's ids."""
    expected = ACCORD_EXPORT_COLUMNS.get(record_type)
    if not expected:
        return False
    return {header_key(h) for h in expected} <= {header_key(h) for h in header}


def choose_preset(header: list[str], record_type: str | None = None) -> Preset | None:
    """Accord's own export of the record type; else the preset whose signature columns the
    header carries most (at least two); else None."""
    if record_type is not None and is_accord_export(record_type, header):
        return ACCORD
    keys = {header_key(h) for h in header}
    scored = [
        (sum(1 for s in p.signature if header_key(s) in keys), p.name)
        for p in PRESETS.values()
        if p.signature
    ]
    best_score, best_name = max(scored)
    if best_score < 2 and not any(k.startswith("person") for k in keys):
        return None
    if best_score < 2:
        return PIPEDRIVE
    return PRESETS[best_name]
