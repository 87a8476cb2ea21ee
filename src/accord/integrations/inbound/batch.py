"""A batch of inbound marketing events: every event is validated first, then contacts are
matched or created and the touchpoints written, all in the caller's transaction.

An event (see docs/events-and-webhooks.md)::

    {"type": "form_fill", "occurred_at": "2026-03-01T09:30:00Z",
     "contact": {"email": "ana@northwind.example", "external_id": "hs-991",
                 "first_name": "Ana", "last_name": "Ruiz", "title": "CMO",
                 "company": "Northwind", "country": "ES"},
     "channel": "paid_search", "campaign": "Spring webinar" | 12,
     "utm_source": "google", "utm_medium": "cpc", "utm_campaign": "spring",
     "utm_content": "", "utm_term": "", "landing_page": "https://…", "referrer": "https://…"}

Contacts are matched by external_id first, then by normalised email. Unknown ones are created
as leads through `contact_create` (so the ledger gets their first row), with the first event's
channel as original source. Known contacts only get empty fields filled in. Errors are keyed
``events[<index>].<field>`` (``events[3].contact.email``); one invalid event refuses the batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError
from django.db.models import Q

from accord.core import cleaning as c
from accord.core.errors import Conflict, ValidationFailed
from accord.core.normalise import email_domain, normalise_domain
from accord.crm.models import Company, Contact
from accord.crm.services.companies import company_create
from accord.crm.services.contacts import CONTACT_FIELDS, contact_create, contact_update
from accord.identity.actor import Actor
from accord.identity.permissions import Action
from accord.marketing.models import Campaign, Touchpoint
from accord.marketing.services import TOUCHPOINT_FIELDS, touchpoints_create_bulk

MAX_EVENTS = 1000
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
ATTRIBUTES = ("first_name", "last_name", "title", "country")

# The touchpoint fields an event carries, cleaned by marketing's own cleaners.
_TOUCH_SPEC = {k: v for k, v in TOUCHPOINT_FIELDS.items() if k not in ("contact_id", "campaign_id")}
_EVENT_KEYS = frozenset(_TOUCH_SPEC) | {"contact", "campaign"}
_CONTACT_SPEC: dict[str, c.Cleaner] = {
    **{k: CONTACT_FIELDS[k] for k in ("email", "external_id", *ATTRIBUTES)},
    "company": c.Text(200),
}


class BatchTooLarge(ValidationFailed):
    """More events than one request may carry (answered with 413)."""

    code = "batch_too_large"


@dataclass
class EventRow:
    index: int
    touch: dict[str, Any]  # cleaned touchpoint values, without contact_id
    email: str
    external_id: str
    attributes: dict[str, str]  # non-empty cleaned attributes
    company: str
    contact_id: int | None = None
    created: bool = False


@dataclass
class _NewContact:
    email: str
    rows: list[EventRow] = field(default_factory=list)


def _errors_under(prefix: str, exc: ValidationFailed, default: str) -> dict[str, list[str]]:
    fields = exc.fields or {default: [exc.message]}
    return {
        f"{prefix}{'' if name == '__all__' else '.' + name}": messages
        for name, messages in fields.items()
    }


def _summary(errors: Mapping[str, list[str]]) -> str:
    count = sum(len(m) for m in errors.values())
    first = next(iter(errors))
    return f"{first}: {errors[first][0]}" if count == 1 else f"{count} fields are invalid."


def event_list(payload: Any) -> list[Any]:
    """The events of a request body, or a ValidationFailed about its shape."""
    if not isinstance(payload, dict):
        raise ValidationFailed.single("body", 'A JSON object {"events": [...]} is required.')
    unknown = {name: ["Unknown field."] for name in payload if name != "events"}
    if unknown:
        raise ValidationFailed(_summary(unknown), fields=unknown)
    events = payload.get("events")
    if not isinstance(events, list):
        raise ValidationFailed.single("events", "A list of events is required.")
    if not events:
        raise ValidationFailed.single("events", "Send at least one event.")
    if len(events) > MAX_EVENTS:
        message = (
            f"At most {MAX_EVENTS:,} events per request; this one has {len(events):,}. "
            "Split the batch."
        )
        raise BatchTooLarge(message, fields={"events": [message]})
    return events


class _Campaigns:
    """Campaign references of a batch (an id, or a name), resolved with two queries."""

    def __init__(self, actor: Actor, events: list[Any]) -> None:
        refs = [e.get("campaign") for e in events if isinstance(e, dict)]
        ids = {r for r in refs if isinstance(r, int) and not isinstance(r, bool) and 0 < r < 2**63}
        names = {r.strip() for r in refs if isinstance(r, str) and r.strip()}
        qs = Campaign.objects.for_workspace(actor.workspace)
        self.by_id = dict(qs.filter(pk__in=ids).values_list("pk", "channel")) if ids else {}
        self.by_name = (
            {
                n: (pk, ch)
                for pk, n, ch in qs.filter(name__in=names).values_list("pk", "name", "channel")
            }
            if names
            else {}
        )

    def resolve(self, ref: Any) -> tuple[int, str] | None:
        if ref is None or ref == "":
            return None
        if isinstance(ref, bool) or not isinstance(ref, int | str):
            raise ValidationFailed.single("campaign", "Give the campaign's id or its name.")
        if isinstance(ref, int):
            if ref not in self.by_id:
                raise ValidationFailed.single(
                    "campaign", f"No campaign with id {ref} in this workspace."
                )
            return ref, self.by_id[ref]
        found = self.by_name.get(ref.strip())
        if found is None:
            raise ValidationFailed.single(
                "campaign", f"No campaign named '{ref.strip()}' in this workspace."
            )
        return found


def _clean_touch(raw: dict[str, Any], campaigns: _Campaigns, ws: int) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values = {k: v for k, v in raw.items() if k not in ("contact", "campaign")}
    try:
        touch = c.clean(_TOUCH_SPEC, values, ws, required=["type", "occurred_at"])
    except ValidationFailed as exc:
        errors.update(exc.fields)
        touch = {}
    try:
        campaign = campaigns.resolve(raw.get("campaign"))
    except ValidationFailed as exc:
        errors.update(exc.fields)
        campaign = None
    if not errors and not touch.get("channel"):
        if campaign is None:
            errors["channel"] = ["Give a channel or a campaign."]
        else:
            touch["channel"] = campaign[1]
    if errors:
        raise ValidationFailed(_summary(errors), fields=errors)
    touch["campaign_id"] = campaign[0] if campaign else None
    return touch


def _clean_contact(raw: Any, ws: int) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValidationFailed.single(
            "__all__", "Expected a JSON object with the contact's email or external_id."
        )
    values = {k: v for k, v in raw.items() if not (k == "email" and v in (None, ""))}
    cleaned = c.clean(_CONTACT_SPEC, values, ws)
    if not cleaned.get("email") and not cleaned.get("external_id"):
        raise ValidationFailed.single("__all__", "Identify the contact by email or external_id.")
    return cleaned


def _clean_event(index: int, raw: Any, campaigns: _Campaigns, ws: int) -> EventRow:
    prefix = f"events[{index}]"
    if not isinstance(raw, dict):
        raise ValidationFailed.single(prefix, "Expected an event object.")
    errors: dict[str, list[str]] = {
        f"{prefix}.{name}": ["Unknown field."] for name in raw if name not in _EVENT_KEYS
    }
    if "contact" not in raw:
        errors[f"{prefix}.contact"] = ["This field is required."]
    touch: dict[str, Any] = {}
    contact: dict[str, Any] = {}
    try:
        touch = _clean_touch(raw, campaigns, ws)
    except ValidationFailed as exc:
        errors.update(_errors_under(prefix, exc, "__all__"))
    if "contact" in raw:
        try:
            contact = _clean_contact(raw["contact"], ws)
        except ValidationFailed as exc:
            errors.update(_errors_under(f"{prefix}.contact", exc, "__all__"))
    if errors:
        raise ValidationFailed(_summary(errors), fields=errors)
    return EventRow(
        index=index,
        touch=touch,
        email=contact.get("email", ""),
        external_id=contact.get("external_id", ""),
        attributes={k: contact[k] for k in ATTRIBUTES if contact.get(k)},
        company=contact.get("company", ""),
    )


class _Companies:
    """Finds a contact's company by its email's web domain, then by exact name; creates one
    (through company_create) when a name is given and nothing matches."""

    def __init__(self, actor: Actor, rows: list[EventRow]) -> None:
        self.actor = actor
        domains = {d for r in rows if (d := self._domain(r.email))}
        names = {r.company for r in rows if r.company}
        self.by_domain: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        if domains or names:
            found = (
                Company.objects.for_workspace(actor.workspace)
                .filter(Q(domain__in=domains) | Q(name__in=names))
                .order_by("pk")
                .values_list("pk", "domain", "name")
            )
            for pk, domain, name in found:
                if domain:
                    self.by_domain.setdefault(domain, pk)
                self.by_name.setdefault(name, pk)

    @staticmethod
    def _domain(email: str) -> str:
        domain = email_domain(email) if email else ""
        try:
            return normalise_domain(domain)
        except ValidationFailed:
            return ""

    def resolve(self, email: str, name: str) -> int | None:
        domain = self._domain(email)
        if domain and domain in self.by_domain:
            return self.by_domain[domain]
        if not name:
            return None
        if name in self.by_name:
            return self.by_name[name]
        company = company_create(actor=self.actor, values={"name": name, "domain": domain})
        if domain:
            self.by_domain[domain] = company.pk
        self.by_name[name] = company.pk
        return company.pk


def _match(actor: Actor, rows: list[EventRow]) -> tuple[dict[str, _NewContact], dict[str, str]]:
    """Set contact_id on the rows of known contacts; return the contacts to create (by email)
    and the external ids they will carry. Raises for an unknown external_id without email."""
    ws = actor.workspace
    contacts = Contact.objects.for_workspace(ws)
    emails = {r.email for r in rows if r.email}
    external_ids = {r.external_id for r in rows if r.external_id}
    by_email = dict(contacts.filter(email__in=emails).values_list("email", "pk")) if emails else {}
    by_external: dict[str, int] = {}
    if external_ids:
        found = contacts.filter(external_id__in=external_ids).order_by("pk")
        for external_id, pk in found.values_list("external_id", "pk"):
            by_external.setdefault(external_id, pk)
    new: dict[str, _NewContact] = {}
    new_external: dict[str, str] = {}
    for row in rows:
        if row.external_id and row.external_id in by_external:
            row.contact_id = by_external[row.external_id]
        elif row.email and row.email in by_email:
            row.contact_id = by_email[row.email]
        elif row.email:
            new.setdefault(row.email, _NewContact(row.email)).rows.append(row)
            if row.external_id:
                new_external.setdefault(row.external_id, row.email)
    errors: dict[str, list[str]] = {}
    for row in rows:
        if row.contact_id is None and not row.email:
            if row.external_id in new_external:
                new[new_external[row.external_id]].rows.append(row)
            else:
                errors[f"events[{row.index}].contact.external_id"] = [
                    f"No contact has external_id '{row.external_id}'; add the contact's email "
                    "so that it can be created."
                ]
    if errors:
        raise ValidationFailed(_summary(errors), fields=errors)
    return new, new_external


def _first(rows: list[EventRow], name: str) -> str:
    return next((r.attributes[name] for r in rows if r.attributes.get(name)), "")


def _create_contacts(actor: Actor, new: dict[str, _NewContact], companies: _Companies) -> None:
    for pending in new.values():
        rows = sorted(pending.rows, key=lambda r: r.touch["occurred_at"])
        first = rows[0]
        values: dict[str, Any] = {
            "email": pending.email,
            "lifecycle_stage": "lead",
            "original_source": first.touch["channel"],
            **{k: first.touch[k] for k in UTM_FIELDS if first.touch.get(k)},
            **{k: v for k in ATTRIBUTES if (v := _first(rows, k))},
        }
        external_id = next((r.external_id for r in rows if r.external_id), "")
        if external_id:
            values["external_id"] = external_id
        company_name = next((r.company for r in rows if r.company), "")
        company_id = companies.resolve(pending.email, company_name)
        if company_id is not None:
            values["company_id"] = company_id
        contact_id: int | None
        try:
            contact_id, created = contact_create(actor=actor, values=values).pk, True
        except (Conflict, IntegrityError):
            # A concurrent request created this contact after we looked (contact_create's
            # savepoint rolled back, our transaction goes on): match it instead.
            contact_id = (
                Contact.objects.for_workspace(actor.workspace)
                .filter(email=pending.email)
                .values_list("pk", flat=True)
                .first()
            )
            if contact_id is None:
                raise
            created = False
        for row in pending.rows:
            row.contact_id = contact_id
            row.created = created


def _fill_known(actor: Actor, rows: list[EventRow], companies: _Companies) -> int:
    """Fill the empty fields of matched contacts from their events; returns how many changed."""
    by_contact: dict[int, list[EventRow]] = {}
    for row in rows:
        if row.contact_id is not None and not row.created:
            by_contact.setdefault(row.contact_id, []).append(row)
    if not by_contact:
        return 0
    current = Contact.objects.for_workspace(actor.workspace).filter(pk__in=by_contact)
    updated = 0
    for contact in current.only("pk", "email", "external_id", "company_id", *ATTRIBUTES):
        contact_rows = by_contact[contact.pk]
        changes: dict[str, Any] = {
            k: v for k in ATTRIBUTES if not getattr(contact, k) and (v := _first(contact_rows, k))
        }
        external_id = next((r.external_id for r in contact_rows if r.external_id), "")
        if external_id and not contact.external_id:
            changes["external_id"] = external_id
        if contact.company_id is None:
            name = next((r.company for r in contact_rows if r.company), "")
            company_id = companies.resolve(contact.email, name)
            if company_id is not None:
                changes["company_id"] = company_id
        if changes:
            contact_update(actor=actor, contact_id=contact.pk, values=changes)
            updated += 1
    return updated


def ingest_events(*, actor: Actor, payload: Any) -> dict[str, Any]:
    """Validate a whole batch, then write it. Call inside a transaction: any error raised
    leaves nothing written once the caller rolls back."""
    actor.require(Action.WRITE_RECORDS)
    ws = actor.workspace.pk
    events = event_list(payload)
    campaigns = _Campaigns(actor, events)
    rows: list[EventRow] = []
    errors: dict[str, list[str]] = {}
    for index, raw in enumerate(events):
        try:
            rows.append(_clean_event(index, raw, campaigns, ws))
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(_summary(errors), fields=errors)
    new, _ = _match(actor, rows)
    companies = _Companies(actor, rows)
    _create_contacts(actor, new, companies)
    updated = _fill_known(actor, rows, companies)
    keys = [_touch_key(row) for row in rows]
    ids = _existing_touches(ws, rows)
    fresh: list[EventRow] = []
    for row, key in zip(rows, keys, strict=True):
        if key not in ids:
            ids[key] = None  # created below; later copies in the batch are duplicates
            fresh.append(row)
    try:
        touchpoints = touchpoints_create_bulk(
            actor=actor, rows=[{**row.touch, "contact_id": row.contact_id} for row in fresh]
        )
    except ValidationFailed as exc:  # pragma: no cover - the same rules were checked above
        remapped = {
            f"events[{name.split('.', 1)[0]}].{name.split('.', 1)[1]}": messages
            for name, messages in exc.fields.items()
        }
        raise ValidationFailed(_summary(remapped), fields=remapped) from exc
    created = {id(row): touchpoint.pk for row, touchpoint in zip(fresh, touchpoints, strict=True)}
    for row, key in zip(rows, keys, strict=True):
        if id(row) in created:
            ids[key] = created[id(row)]
    return {
        "accepted": len(rows),
        "contacts_created": len({row.contact_id for row in rows if row.created}),
        "contacts_updated": updated,
        "touchpoints_created": len(touchpoints),
        "duplicates": len(rows) - len(fresh),
        "results": [
            {
                "index": row.index,
                "touchpoint_id": ids[key],
                "contact_id": row.contact_id,
                "contact_created": row.created,
                "duplicate": id(row) not in created,
            }
            for row, key in zip(rows, keys, strict=True)
        ],
    }


_PLACE = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term",
          "landing_page", "referrer")  # fmt: skip
type TouchKey = tuple[Any, ...]


def _touch_key(row: EventRow) -> TouchKey:
    """What makes two events the same touch: the contact, the type, the instant, the channel,
    the campaign, and where it happened (UTM tags, landing page, referrer), so two different
    page views in one second stay two. A sender retrying without an Idempotency-Key, or
    repeating an event in one batch, writes it once."""
    t = row.touch
    place = tuple(t.get(name) or "" for name in _PLACE)
    return (row.contact_id, t["type"], t["occurred_at"], t["channel"], t.get("campaign_id"),
            *place)  # fmt: skip


def _existing_touches(ws: int, rows: list[EventRow]) -> dict[TouchKey, int | None]:
    found = Touchpoint.objects.for_workspace(ws).filter(
        contact_id__in={row.contact_id for row in rows if not row.created},
        occurred_at__in={row.touch["occurred_at"] for row in rows},
    )
    out: dict[TouchKey, int | None] = {}
    for pk, *key in found.order_by("-pk").values_list(
        "pk", "contact_id", "type", "occurred_at", "channel", "campaign_id", *_PLACE
    ):
        out[tuple(key)] = pk  # the oldest copy wins
    return out
