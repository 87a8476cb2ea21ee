"""Resolving what a row refers to: workspace members (owners, users), contacts, companies,
campaigns. Read-only lookups, remembered for the job so repeated names cost one query."""

from __future__ import annotations

import re
from typing import Any

from accord.core.errors import ValidationFailed
from accord.core.normalise import normalise_domain
from accord.crm.models import Company
from accord.crm.selectors import company_list, contact_list
from accord.crm.services.companies import company_create
from accord.identity.actor import Actor
from accord.identity.models import Workspace
from accord.identity.selectors import workspace_members
from accord.integrations.importing.contacts import COUNTRY_NAMES
from accord.integrations.importing.service_import import RowCheck

_EMAIL_IN_TEXT = re.compile(r"[^\s<>()\[\];,\"']+@[^\s<>()\[\];,\"']+\.[a-z]{2,63}", re.IGNORECASE)
_ISO_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CACHE_LIMIT = 100_000


def _remember[K, V](cache: dict[K, V], key: K, value: V) -> V:
    if len(cache) < _CACHE_LIMIT:
        cache[key] = value
    return value


class Members:
    """Workspace members by email or full name (owners and activity users)."""

    def __init__(self, workspace: Workspace) -> None:
        members = list(workspace_members(workspace))
        self.by_email = {m.user.email.lower(): m.user_id for m in members}
        self.by_name = {
            m.user.full_name.strip().lower(): m.user_id for m in members if m.user.full_name
        }

    def resolve(self, check: RowCheck, target: str) -> int | None:
        text = check.get(target)
        if text is None:
            return None
        key = text.strip().lower().removeprefix("mailto:")
        user_id = self.by_email.get(key) or self.by_name.get(key)
        if user_id is None:
            check.fail(target, f"'{text}' is not a member of this workspace.")
        return user_id


def country_code(check: RowCheck, target: str) -> str | None:
    """An ISO 3166 alpha-2 code from a code or a common English name."""
    text = check.get(target)
    if text is None:
        return None
    code = text.strip().upper()
    if not _ISO_COUNTRY.match(code):
        code = COUNTRY_NAMES.get(text.strip().lower(), "")
    if not code:
        check.fail(target, f"'{text}' is not a country (use ISO codes such as DE, US).")
        return None
    return code


def domain_of(check: RowCheck, target: str) -> str:
    """The normalised web domain of a website or domain cell ('' when the cell is empty)."""
    text = check.get(target)
    if text is None:
        return ""
    try:
        return normalise_domain(text, field=target)
    except ValidationFailed as exc:
        check.fail(target, exc.message)
        return ""


class Contacts:
    """Existing contacts by email, or by full name where an export names people (Pipedrive's
    'Deal - Contact person'). Imports of other records never create contacts."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._emails: dict[str, int | None] = {}
        self._names: dict[str, list[int]] = {}

    def by_email(self, email: str) -> int | None:
        if email not in self._emails:
            found = (
                contact_list(self.workspace)
                .filter(email=email)
                .values_list("pk", flat=True)
                .first()
            )
            return _remember(self._emails, email, found)
        return self._emails[email]

    def by_name(self, name: str) -> list[int]:
        key = " ".join(name.lower().split())
        if key not in self._names:
            first, _, last = key.partition(" ")
            found = list(
                contact_list(self.workspace)
                .filter(first_name__iexact=first, last_name__iexact=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:2]
            )
            return _remember(self._names, key, found)
        return self._names[key]

    def resolve(
        self, check: RowCheck, target: str, *, required: bool, names: bool = False
    ) -> int | None:
        text = check.get(target)
        if text is None:
            if required:
                check.fail(target, "A contact email is required.")
            return None
        match = _EMAIL_IN_TEXT.search(text)
        if match is not None:
            # 'mailto:' of a link copied from a web page or an email client is not the address
            email = match.group(0).lower().removeprefix("mailto:")
            contact_id = self.by_email(email)
            if contact_id is None:
                check.fail(
                    target,
                    f"There is no contact with email {email} in this workspace (import the "
                    "contacts first).",
                )
            return contact_id
        if not names:
            check.fail(target, f"'{text}' is not an email address.")
            return None
        found = self.by_name(text)
        if len(found) != 1:
            problem = "no contact" if not found else "more than one contact"
            check.fail(
                target,
                f"There is {problem} named '{text}' in this workspace; give the contact's email.",
            )
            return None
        return found[0]


class Companies:
    """Companies by normalised domain, external id or name (case-insensitive), and the
    companies a deal import creates for the accounts it names."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.created = 0
        self._ids: dict[tuple[str, str], int | None] = {}

    def find(self, *, domain: str = "", external_id: str = "", name: str = "") -> Company | None:
        """The company a row means: the same domain; else the same external id; else the same
        name (case-insensitive) — a row with a domain only matches a named company that has no
        domain yet, and a row with an external id only one that has none, since a company with
        another domain or id is another company."""
        companies = company_list(self.actor.workspace).order_by("pk")
        if domain and (found := companies.filter(domain=domain).first()) is not None:
            return found
        if external_id:
            found = companies.filter(external_id=external_id).first()
            if found is not None:
                return found
            companies = companies.filter(external_id="")
        if not name:
            return None
        same_name = companies.filter(name__iexact=name)
        return (same_name.filter(domain="") if domain else same_name).first()

    def find_id(self, domain: str, name: str) -> int | None:
        key = (domain, name.lower())
        if key not in self._ids:
            found = self.find(domain=domain, name=name)
            if found is None:
                return None  # not remembered: the import may create it
            return _remember(self._ids, key, found.pk)
        return self._ids[key]

    def ensure(self, domain: str, name: str) -> int:
        """The id of the company, created through the company service if it does not exist."""
        company_id = self.find_id(domain, name)
        if company_id is None:
            values: dict[str, Any] = {"name": (name or domain)[:200], "domain": domain}
            company_id = company_create(actor=self.actor, values=values).pk
            self.created += 1
            _remember(self._ids, (domain, name.lower()), company_id)
        return company_id
