"""Money: ISO 4217 currency codes and amount validation."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from accord.core.errors import ValidationFailed

# Active ISO 4217 codes (circulating currencies; funds and metals codes omitted).
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR
    ZMW ZWG
    """.split()  # noqa: SIM905 - a word list reads better than 160 quoted strings
)

MAX_AMOUNT = Decimal("999999999999.99")


def normalise_currency(raw: str, *, field: str = "currency") -> str:
    code = (raw or "").strip().upper()
    if code not in ISO_4217:
        raise ValidationFailed.single(
            field, f"'{raw}' is not an ISO 4217 currency code (for example EUR, USD, GBP)."
        )
    return code


def parse_amount(raw: object, *, field: str = "amount") -> Decimal:
    """An amount to the cent: not negative, at most MAX_AMOUNT, and never rounded silently (a
    third decimal is more likely a thousands separator than a tenth of a cent)."""
    try:
        amount = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed.single(field, f"'{raw}' is not a number.") from None
    if not amount.is_finite():
        raise ValidationFailed.single(field, "The amount must be a finite number.")
    if amount < 0:
        raise ValidationFailed.single(field, "The amount cannot be negative.")
    if amount > MAX_AMOUNT:
        raise ValidationFailed.single(field, f"The amount is too large (at most {MAX_AMOUNT:,}).")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:  # "1.500" too: the digits were written
        raise ValidationFailed.single(
            field, f"{raw} has more than 2 decimal places; amounts are kept to the cent."
        )
    return amount.quantize(Decimal("0.01"))
