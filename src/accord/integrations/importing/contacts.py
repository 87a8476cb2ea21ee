"""Preparing contact rows: validation and normalisation, one row at a time, with every problem
reported against its row and column.

No Django here (the choice values come in from the importer): for large files this runs in a
separate reader process, so that parsing and validating overlap the database writes on a
second core instead of sharing one interpreter lock with them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from accord.core.normalise import FREE_MAIL_DOMAINS
from accord.integrations.importing.dates import contradiction
from accord.integrations.importing.mapping import ColumnMapping
from accord.integrations.importing.rows import RowError
from accord.integrations.importing.targets import CUSTOM_FIELDS, header_key
from accord.integrations.importing.values import (
    BadValue,
    parse_custom_fields,
    parse_datetime,
    utc_text,
)

_EMAIL = re.compile(r"^[^@\s]+@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})$")
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
COUNTRY_NAMES = {
    "united states": "US", "usa": "US", "united states of america": "US", "us": "US",
    "united kingdom": "GB", "uk": "GB", "great britain": "GB", "england": "GB",
    "germany": "DE", "deutschland": "DE", "france": "FR", "spain": "ES", "italy": "IT",
    "netherlands": "NL", "the netherlands": "NL", "belgium": "BE", "switzerland": "CH",
    "austria": "AT", "sweden": "SE", "norway": "NO", "denmark": "DK", "finland": "FI",
    "ireland": "IE", "portugal": "PT", "poland": "PL", "canada": "CA", "mexico": "MX",
    "brazil": "BR", "australia": "AU", "new zealand": "NZ", "india": "IN", "japan": "JP",
    "china": "CN", "singapore": "SG", "south africa": "ZA", "israel": "IL",
}  # fmt: skip
_LIMITS = {
    "first_name": 100, "last_name": 100, "title": 150, "department": 60, "phone": 40,
    "utm_source": 200, "utm_medium": 200, "utm_campaign": 200, "utm_content": 200,
    "utm_term": 200, "external_id": 100,
}  # fmt: skip
# The contact columns a row can set, in the order of a prepared row's trailing values.
_COLUMNS = (
    "first_name", "last_name", "title", "seniority", "department", "phone", "country",
    "owner_id", "lead_status", "original_source", "utm_source", "utm_medium", "utm_campaign",
    "utm_content", "utm_term", "external_id",
)  # fmt: skip


Fail = Callable[[str, str], None]


def normalise_domain_fast(raw: str) -> str:
    value = raw.strip().lower()
    if "://" in value:
        value = value.split("://", 1)[1]
    value = value.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0].rstrip(".")
    if value.startswith("www."):
        value = value[4:]
    if not _DOMAIN.match(value):
        raise BadValue(f"'{raw}' is not a web domain")
    return value


class ContactPreparer:
    def __init__(
        self,
        mapping: ColumnMapping,
        *,
        stage_keys: set[str],
        members_by_email: dict[str, int],
        members_by_name: dict[str, int],
        choices: dict[str, set[str]],  # seniority, lead_status, original_source -> values
    ) -> None:
        self.mapping = mapping
        self.stage_keys = stage_keys
        self.members_by_email = members_by_email
        self.members_by_name = members_by_name
        self.value_maps = mapping.value_maps
        self.column_of = {t: mapping.header[idx[0]] for t, idx in mapping.mapped.items()}
        self.created_order = mapping.order_of("created_at")
        # An Accord export names each contact's company (or none): an empty company is no
        # company, not one to infer from the email's domain.
        self.infer_company = mapping.preset != "accord"
        self.custom_json = CUSTOM_FIELDS in mapping.mapped
        # Columns such as stage, status, source, country and website repeat the same few values
        # across a file: translating each distinct value once keeps large imports fast.
        self._translated: dict[tuple[str, str], str] = {}
        self._countries: dict[str, str] = {}
        self._domains: dict[str, str | BadValue] = {}
        # Only the columns this file can fill travel with each row and get bound in SQL.
        mapped = set(mapping.mapped)
        if "full_name" in mapped:
            mapped |= {"first_name", "last_name"}
        if "owner" in mapped:
            mapped.add("owner_id")
        self.columns = tuple(c for c in _COLUMNS if c in mapped)
        self._defaults = [(c, None if c == "owner_id" else "") for c in self.columns]
        # Per row, check only the targets the file maps (a million rows, a dozen targets).
        self._limits = [(name, limit) for name, limit in _LIMITS.items() if name in mapped]
        self._choices = [(name, allowed) for name, allowed in choices.items() if name in mapped]

    def _translate(self, target: str, text: str) -> str:
        cached = self._translated.get((target, text))
        if cached is not None:
            return cached
        value = text.strip().lower().replace(" ", "_").replace("-", "_")
        table = self.value_maps.get(target)
        if table:
            value = table.get(header_key(text), value)
        if len(self._translated) < 100_000:
            self._translated[(target, text)] = value
        return value

    def _country(self, text: str) -> str:
        code = self._countries.get(text)
        if code is None:
            code = text.strip().upper()
            if not _COUNTRY.match(code):
                code = COUNTRY_NAMES.get(text.strip().lower(), "")
            if len(self._countries) < 10_000:
                self._countries[text] = code
        return code

    def _domain(self, text: str) -> str:
        cached = self._domains.get(text)
        if cached is None:
            try:
                cached = normalise_domain_fast(text)
            except BadValue as exc:
                cached = exc
            if len(self._domains) < 100_000:
                self._domains[text] = cached
        if isinstance(cached, BadValue):
            raise cached
        return cached

    def prepare(
        self, row: int, values: dict[str, str], custom: dict[str, str]
    ) -> tuple[tuple[Any, ...] | None, list[RowError]]:
        """A validated row (see `ContactValues` in crm.services.bulk, with the (domain, name)
        of its company in the company slot) or the row's errors."""
        errors: list[RowError] = []

        def fail(target: str, reason: str) -> None:
            column = self.column_of.get(target, target)
            errors.append(RowError(row, column, values.get(target, ""), reason))

        email, email_domain = self._email(values, fail)
        fields = self._text_fields(values, fail)
        self._choice_fields(values, fields, fail)
        self._country_and_owner(values, fields, fail)
        stage = self._stage(values, fail)
        created_at = self._created_at(values, fail)
        domain = self._company_domain(values, email_domain, fail)
        if errors:
            return None, errors
        if self.custom_json and (text := values.get(CUSTOM_FIELDS)) is not None:
            try:
                custom = {**parse_custom_fields(text), **custom}
            except BadValue as exc:
                fail(CUSTOM_FIELDS, exc.reason)
                return None, errors
        company_name = values.get("company_name", "")[:200]
        company = (domain, company_name) if (domain or company_name) else None
        head = (row, email, stage, created_at, company, dict(custom) if custom else None)
        return head + tuple([fields.get(c, d) for c, d in self._defaults]), []

    @staticmethod
    def key(item: tuple[Any, ...]) -> str:
        """Rows of one file with the same email are the same contact."""
        return str(item[1])

    def _email(self, values: dict[str, str], fail: Fail) -> tuple[str, str]:
        email = values.get("email", "").strip().lower()
        if email.startswith("mailto:"):
            email = email[7:].strip()  # a link copied from a web page or an email client
        match = _EMAIL.match(email) if email else None
        if not email:
            fail("email", "An email address is required.")
        elif match is None or len(email) > 254:
            fail("email", "Not a valid email address.")
        return email, (match.group(1) if match else "")

    def _text_fields(self, values: dict[str, str], fail: Fail) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for name, limit in self._limits:
            text = values.get(name)
            if text is None:
                continue
            if len(text) > limit:
                fail(name, f"At most {limit} characters (got {len(text)}).")
            else:
                fields[name] = text
        full = values.get("full_name")
        if full and "first_name" not in fields and "last_name" not in fields:
            first, _, last = full.partition(" ")
            fields["first_name"], fields["last_name"] = first[:100], last.strip()[:100]
        return fields

    def _choice_fields(self, values: dict[str, str], fields: dict[str, Any], fail: Fail) -> None:
        for name, allowed in self._choices:
            text = values.get(name)
            if text is None:
                continue
            value = self._translate(name, text)
            if value in allowed:
                fields[name] = value
            else:
                fail(name, f"'{text}' is not a known {name.replace('_', ' ')}.")

    def _country_and_owner(
        self, values: dict[str, str], fields: dict[str, Any], fail: Fail
    ) -> None:
        if (country := values.get("country")) is not None:
            code = self._country(country)
            if code:
                fields["country"] = code
            else:
                fail("country", f"'{country}' is not a country (use ISO codes such as DE, US).")
        if (owner := values.get("owner")) is not None:
            key = owner.strip().lower().removeprefix("mailto:")
            owner_id = self.members_by_email.get(key) or self.members_by_name.get(key)
            if owner_id is None:
                fail("owner", f"'{owner}' is not a member of this workspace.")
            else:
                fields["owner_id"] = owner_id

    def _stage(self, values: dict[str, str], fail: Fail) -> str | None:
        text = values.get("lifecycle_stage")
        if text is None:
            return None
        stage = self._translate("lifecycle_stage", text)
        if stage not in self.stage_keys:
            fail("lifecycle_stage", f"'{text}' is not a lifecycle stage of this workspace.")
        return stage

    def _created_at(self, values: dict[str, str], fail: Fail) -> str | None:
        text = values.get("created_at")
        if text is None:
            return None
        try:
            return utc_text(parse_datetime(text, order=self.created_order))
        except BadValue as exc:
            fail("created_at", contradiction(self.mapping, "created_at", text) or exc.reason)
            return None

    def _company_domain(self, values: dict[str, str], email_domain: str, fail: Fail) -> str:
        website = values.get("company_domain")
        if website is not None:
            try:
                return self._domain(website)
            except BadValue as exc:
                fail("company_domain", exc.reason)
                return ""
        if not self.infer_company:
            return ""
        return email_domain if email_domain not in FREE_MAIL_DOMAINS else ""
