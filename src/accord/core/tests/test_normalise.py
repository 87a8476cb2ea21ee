from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.core.errors import ValidationFailed
from accord.core.money import normalise_currency, parse_amount
from accord.core.normalise import email_domain, normalise_country, normalise_domain, normalise_email


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ana.Ruiz@Acme.COM ", "ana.ruiz@acme.com"),
        ("x+tag@sub.example.co.uk", "x+tag@sub.example.co.uk"),
    ],
)
def test_emails_are_normalised(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "ana",
        "ana@",
        "@acme.com",
        "ana@acme",
        "a b@acme.com",
        "ana@@acme.com",
        "ana@acme..com",
    ],
)
def test_invalid_emails_are_refused_with_a_field_error(raw: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        normalise_email(raw)
    assert list(err.value.fields) == ["email"]


@given(st.emails())
def test_normalisation_is_idempotent(email: str) -> None:
    try:
        once = normalise_email(email)
    except ValidationFailed:
        return
    assert normalise_email(once) == once
    assert once == once.strip().lower()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.com/pricing?x=1", "acme.com"),
        ("acme.com", "acme.com"),
        ("WWW.ACME.CO.UK.", "acme.co.uk"),
        ("http://app.acme.io:8080", "app.acme.io"),
        ("", ""),
    ],
)
def test_domains_are_normalised(raw: str, expected: str) -> None:
    assert normalise_domain(raw) == expected


@pytest.mark.parametrize("raw", ["not a domain", "http://", "acme", "-acme.com"])
def test_invalid_domains_are_refused(raw: str) -> None:
    with pytest.raises(ValidationFailed):
        normalise_domain(raw)


def test_free_mail_has_no_company_domain() -> None:
    assert email_domain("ana@gmail.com") == ""
    assert email_domain("ana@acme.com") == "acme.com"


def test_country_codes() -> None:
    assert normalise_country(" de ") == "DE"
    assert normalise_country("") == ""
    with pytest.raises(ValidationFailed):
        normalise_country("Germany")


def test_currencies_and_amounts() -> None:
    assert normalise_currency("eur") == "EUR"
    for bad in ("EURO", "XYZ", "", "US"):
        with pytest.raises(ValidationFailed):
            normalise_currency(bad)
    assert parse_amount("1200.45") == Decimal("1200.45")
    with pytest.raises(ValidationFailed, match="more than 2 decimal places"):
        parse_amount("1.500")  # a thousands separator, most likely
    with pytest.raises(ValidationFailed, match=r"1200\.456 has more than 2 decimal places"):
        parse_amount("1200.456")  # never rounded without a word
    with pytest.raises(ValidationFailed, match=r"too large \(at most 999,999,999,999.99\)"):
        parse_amount("1e30")
    for bad in ("-1", "abc", "NaN", "Infinity", "1e20"):
        with pytest.raises(ValidationFailed):
            parse_amount(bad)


@given(st.decimals(min_value=0, max_value=10**11, places=2, allow_nan=False))
def test_valid_amounts_round_trip(value: Decimal) -> None:
    assert parse_amount(value) == value
