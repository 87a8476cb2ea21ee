"""How the results' numbers are written, the same in the reading, on the page, in the API's
texts and on the command line: money with two decimals and the workspace's currency symbol,
p-values with three significant figures (or "< 0.001"), chances to one decimal (or "> 99.9%"),
so that one number never shows two ways on the same page."""

from __future__ import annotations

# The web table's symbols (`web.templatetags.accord_ui.money`): the web layer sits above this
# context, so it cannot be imported from here.
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CHF": "CHF "}
SMALLEST_P = 0.001
SURE = 0.999  # a chance above it shows as "> 99.9%": rounding would claim certainty


def money_text(value: float, currency: str, *, signed: bool = False) -> str:
    """187.8684, 'USD' -> '$187.87'; -185.0953 -> '-$185.10'; an unknown code follows the
    number: '187.87 SEK'."""
    sign = "-" if value < 0 and round(value, 2) != 0 else ("+" if signed else "")
    number = f"{abs(value):,.2f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol is not None:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {currency}".strip()


def p_value_text(p: float) -> str:
    """'0.0276', '< 0.001': three significant figures down to 0.001, where the normal
    approximations behind the p-values stop being accurate to that many figures anyway."""
    return f"< {SMALLEST_P:g}" if p < SMALLEST_P else f"{p:.3g}"


def p_text(label: str, p: float) -> str:
    """'p = 0.0276', 'always-valid p < 0.001'."""
    text = p_value_text(p)
    return f"{label} {text}" if text.startswith("<") else f"{label} = {text}"


def chance_text(chance: float) -> str:
    """0.962 -> '96.2%'; 0.9999993 -> '> 99.9%'; 0.0000004 -> '< 0.1%'."""
    if chance > SURE:
        return "> 99.9%"
    if chance < 1 - SURE:
        return "< 0.1%"
    return f"{chance:.1%}"


def percent_text(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.1%}" if signed else f"{value:.1%}"


def points_text(value: float, *, signed: bool = False) -> str:
    """A difference of two rates in percentage points, to the rates' own precision:
    0.0213 -> '+2.1 pp'."""
    return f"{100 * value:+.1f} pp" if signed else f"{100 * value:.1f} pp"


def hours_text(value: float, *, signed: bool = False) -> str:
    return f"{value:+,.1f} h" if signed else f"{value:,.1f} h"


def amount_text(unit: str, value: float, currency: str, *, signed: bool = False) -> str:
    """A value or a difference in the metric's unit: a rate, money per lead, or hours."""
    if unit == "money":
        return money_text(value, currency, signed=signed)
    if unit == "hours":
        return hours_text(value, signed=signed)
    return points_text(value, signed=signed) if signed else percent_text(value)
