"""Normalisation of the identifiers records are matched on (emails, web domains, countries)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from accord.core.errors import ValidationFailed

# Deliberately simple: one @, a dotted domain, no whitespace. RFC 5322 permits far more, but
# every mailbox a B2B team can reach matches this, and anything else is almost always a typo.
_EMAIL_RE = re.compile(r"^[^@\s]+@([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_DOMAIN_RE = re.compile(r"^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")

FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "outlook.com",
        "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me",
        "protonmail.com", "gmx.com", "gmx.de", "web.de", "mail.com", "yandex.com", "zoho.com",
        "fastmail.com", "hey.com", "qq.com", "163.com",
    }
)  # fmt: skip


def normalise_email(raw: str, *, field: str = "email") -> str:
    email = (raw or "").strip().lower()
    if not email:
        raise ValidationFailed.single(field, "An email address is required.")
    if len(email) > 254 or not _EMAIL_RE.match(email):
        raise ValidationFailed.single(field, f"'{raw.strip()}' is not a valid email address.")
    return email


def normalise_domain(raw: str, *, field: str = "domain") -> str:
    """Reduce a website URL or a bare domain to its registrable host: 'https://www.Acme.com/x'
    becomes 'acme.com'. An empty input gives an empty domain."""
    value = (raw or "").strip().lower()
    if not value:
        return ""
    if "://" not in value:
        value = "//" + value
    host = (urlsplit(value).hostname or "").rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if not _DOMAIN_RE.match(host):
        raise ValidationFailed.single(field, f"'{raw.strip()}' is not a valid web domain.")
    return host


def email_domain(email: str) -> str:
    """The company domain an email points to, or '' for free-mail providers."""
    domain = email.rsplit("@", 1)[-1]
    return "" if domain in FREE_MAIL_DOMAINS else domain


def email_domain_sql(column: str, vendor: str) -> str:
    """SQL for the lower-cased domain of the e-mail in `column` (what follows the @), on the
    record store's database (`vendor`: "postgresql" or "sqlite")."""
    if vendor == "postgresql":
        return f"lower(split_part({column}, '@', 2))"
    return f"lower(substr({column}, instr({column}, '@') + 1))"


def normalise_country(raw: str, *, field: str = "country") -> str:
    value = (raw or "").strip().upper()
    if value and not re.fullmatch(r"[A-Z]{2}", value):
        raise ValidationFailed.single(field, "Use a two-letter ISO 3166 country code, e.g. 'DE'.")
    return value
