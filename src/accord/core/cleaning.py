"""Field-by-field validation of service input.

Services receive plain mappings (from the API, a web form, the CLI or an importer), clean every
field with a spec from this module, collect *all* field errors, and raise one `ValidationFailed`
before writing anything.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accord.core.errors import ValidationFailed
from accord.core.money import normalise_currency, parse_amount
from accord.core.normalise import normalise_country, normalise_domain, normalise_email
from accord.core.periods import OUT_OF_RANGE, in_range


class Cleaner(Protocol):
    def __call__(self, value: Any, field: str, workspace_id: int) -> Any: ...


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float | Decimal):
        raise ValidationFailed("Expected text.")
    return str(value).strip()


@dataclass(frozen=True)
class Text:
    max_length: int
    required: bool = False

    def __call__(self, value: Any, field: str, workspace_id: int) -> str:
        text = _text(value)
        if self.required and not text:
            raise ValidationFailed.single(field, "This field is required.")
        if len(text) > self.max_length:
            raise ValidationFailed.single(
                field, f"At most {self.max_length} characters (got {len(text)})."
            )
        return text


@dataclass(frozen=True)
class Choice:
    choices: type[models.TextChoices]
    required: bool = False

    def __call__(self, value: Any, field: str, workspace_id: int) -> str:
        text = _text(value).lower()
        if not text and not self.required:
            return ""
        if text not in self.choices.values:
            allowed = ", ".join(self.choices.values)
            raise ValidationFailed.single(field, f"'{value}' is not one of: {allowed}.")
        return text


def email(value: Any, field: str, workspace_id: int) -> str:
    return normalise_email(_text(value), field=field)


def domain(value: Any, field: str, workspace_id: int) -> str:
    return normalise_domain(_text(value), field=field)


def country(value: Any, field: str, workspace_id: int) -> str:
    return normalise_country(_text(value), field=field)


def currency(value: Any, field: str, workspace_id: int) -> str:
    return normalise_currency(_text(value), field=field)


def amount(value: Any, field: str, workspace_id: int) -> Decimal:
    if value is None or value == "":
        return Decimal("0.00")
    if isinstance(value, bool):
        raise ValidationFailed.single(field, "Expected a number.")
    return parse_amount(value, field=field)


@dataclass(frozen=True)
class PositiveInt:
    maximum: int = 10**9
    minimum: int = 0

    def __call__(self, value: Any, field: str, workspace_id: int) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise ValidationFailed.single(field, "Expected a whole number.")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValidationFailed.single(field, f"'{value}' is not a whole number.") from None
        if number < self.minimum or number > self.maximum:
            raise ValidationFailed.single(
                field, f"Must be between {self.minimum} and {self.maximum}."
            )
        return number


def date(value: Any, field: str, workspace_id: int) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        parsed: dt.date | None = value.date()
    elif isinstance(value, dt.date):
        parsed = value
    else:
        parsed = None
        with contextlib.suppress(ValueError):  # well-formed but impossible, e.g. 2026-02-31
            parsed = parse_date(_text(value))
    if parsed is None:
        raise ValidationFailed.single(field, f"'{value}' is not a date (use YYYY-MM-DD).")
    return _within_range(parsed, value, field)


def datetime(value: Any, field: str, workspace_id: int) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        parsed: dt.datetime | None = value
    else:
        text = _text(value)
        try:
            parsed = parse_datetime(text)
            if parsed is None and (day := parse_date(text)) is not None:
                parsed = dt.datetime.combine(day, dt.time())
        except ValueError:
            parsed = None
    if parsed is None:
        raise ValidationFailed.single(
            field, f"'{value}' is not a date-time (use ISO 8601, e.g. 2026-03-01T09:30:00Z)."
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, dt.UTC)
    return _within_range(parsed, value, field)


def _within_range[D: (dt.date, dt.datetime)](parsed: D, value: Any, field: str) -> D:
    if not in_range(parsed):
        raise ValidationFailed.single(field, f"'{value}' is out of range: {OUT_OF_RANGE}.")
    return parsed


def flag(value: Any, field: str, workspace_id: int) -> bool:
    """A yes/no value from JSON, a form or the CLI: true/false, 1/0, yes/no, on/off (blank is
    no)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", "", "none"):
        return False
    raise ValidationFailed.single(field, f"'{value}' is not yes or no (true or false).")


def json_object(value: Any, field: str, workspace_id: int) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValidationFailed.single(field, f"Not valid JSON: {exc.msg}.") from None
    if not isinstance(value, dict):
        raise ValidationFailed.single(field, "Expected a JSON object of field names to values.")
    if len(value) > 200:
        raise ValidationFailed.single(field, "At most 200 custom fields.")
    try:
        encoded = json.dumps(value, allow_nan=False)  # NaN and Infinity are not JSON
    except (TypeError, ValueError):
        raise ValidationFailed.single(
            field, "Values must be JSON (text, finite numbers, lists…)."
        ) from None
    except RecursionError:
        raise ValidationFailed.single(field, "Values are nested too deeply.") from None
    if len(encoded) > 64_000:
        raise ValidationFailed.single(field, "Custom fields are limited to 64 KB.")
    return value


MAX_ID = 2**63 - 1  # the largest id a database column holds


def record_id(value: Any, field: str, label: str) -> int:
    """An id given as a number or text: a whole number the database can hold, or a clear
    error naming the kind of record (a larger number would overflow the query, not miss)."""
    if isinstance(value, bool):
        raise ValidationFailed.single(field, f"'{value}' is not a {label} id.")
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed.single(field, f"'{value}' is not a {label} id.") from None
    if not 0 < pk <= MAX_ID:
        raise ValidationFailed.single(field, f"No {label} with id {pk} in this workspace.")
    return pk


@dataclass(frozen=True)
class Ref:
    """A reference by id to another record of the same workspace. `known`, when given, is the
    set of ids already known to exist there (a batch checks them with one query, not one per
    row)."""

    model: type[models.Model]
    label: str
    required: bool = False
    known: frozenset[int] | None = None

    def __call__(self, value: Any, field: str, workspace_id: int) -> int | None:
        if value is None or value == "":
            if self.required:
                raise ValidationFailed.single(field, f"Choose a {self.label}.")
            return None
        pk = record_id(value, field, self.label)
        if self.known is not None:
            exists = pk in self.known
        else:
            manager: Any = self.model._default_manager
            exists = manager.for_workspace(workspace_id).filter(pk=pk).exists()
        if not exists:
            raise ValidationFailed.single(field, f"No {self.label} with id {pk} in this workspace.")
        return pk


def _merge(errors: dict[str, list[str]], exc: ValidationFailed, default_field: str) -> None:
    for field, messages in (exc.fields or {default_field: [exc.message]}).items():
        errors.setdefault(field, []).extend(messages)


def clean(
    spec: Mapping[str, Cleaner],
    values: Mapping[str, Any],
    workspace_id: int,
    *,
    required: Iterable[str] = (),
    extra_checks: Iterable[Callable[[dict[str, Any]], None]] = (),
) -> dict[str, Any]:
    """Clean the given values against a spec. Unknown fields and all field errors are reported
    together; nothing is returned unless every field is valid."""
    errors: dict[str, list[str]] = {name: ["Unknown field."] for name in values if name not in spec}
    for name in required:
        if values.get(name) in (None, ""):
            errors.setdefault(name, []).append("This field is required.")
    cleaned: dict[str, Any] = {}
    for name, cleaner in spec.items():
        if name in values and name not in errors:
            try:
                cleaned[name] = cleaner(values[name], name, workspace_id)
            except ValidationFailed as exc:
                _merge(errors, exc, name)
    for check in extra_checks if not errors else ():
        try:
            check(cleaned)
        except ValidationFailed as exc:
            _merge(errors, exc, "__all__")
    if errors:
        count = sum(len(m) for m in errors.values())
        first = next(iter(errors))
        summary = f"{first}: {errors[first][0]}" if count == 1 else f"{count} fields are invalid."
        raise ValidationFailed(summary, fields=errors)
    return cleaned
