"""The lead definition document (schema version 1): pure pydantic, no Django.

A document holds fit rules (on contact and company attributes), engagement rules (points per
touchpoint type or activity kind, with caps and time decay), negative signals, the MQL thresholds
and the SQL criteria sales confirms. `parse_document` validates a JSON-like dict and raises
`DocumentInvalid` whose `fields` map dotted paths (``fit_rules.2.value``) to messages.

Missing attributes are *unknown*: a rule on an attribute the contact does not have (an empty
field, no company, a custom field that is not set) does not fire, except `is_empty`, which fires
exactly when the attribute is unknown.

Every number is bounded (points, caps, thresholds, half-life, range bounds, campaign ids, and the
number of rules), so no sum of them can overflow a float. A version saved before the bounds
existed is read with `parse_stored_document`, which skips them and clamps each number into them
instead: it keeps loading, and it scores to finite numbers.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

# Kept in step with marketing.models.TouchpointType and crm.models.ActivityKind (a test checks).
TOUCHPOINT_TYPES: tuple[str, ...] = (
    "ad_click",
    "form_fill",
    "webinar",
    "email_send",
    "email_open",
    "email_click",
    "event",
    "web_visit",
    "content_download",
    "chat",
    "unsubscribe",
    "bounce",
)
ACTIVITY_KINDS: tuple[str, ...] = ("call", "email", "meeting", "note")

CONTACT_ATTRIBUTES: tuple[str, ...] = (
    "title",
    "seniority",
    "department",
    "country",
    "lifecycle_stage",
    "original_source",
)
COMPANY_ATTRIBUTES: tuple[str, ...] = (
    "company.industry",
    "company.employee_count",
    "company.country",
)
# Computed by Accord rather than stored on the contact: `predicted_conversion` is the predictive
# score's probability in percent (0-100), unknown until a model has scored the contact.
DERIVED_ATTRIBUTES: tuple[str, ...] = ("predicted_conversion",)
CUSTOM_PREFIXES: tuple[str, ...] = ("custom:", "company.custom:")
GRADES: tuple[str, ...] = ("A", "B", "C", "D")

Grade = Literal["A", "B", "C", "D"]
Operator = Literal["equals", "in", "contains", "regex", "range", "is_empty"]


# Bounds of the numbers (docs/lead-definitions.md): far beyond any real scoring model, and small
# enough that no score can overflow. A fit score is at most MAX_RULES * MAX_POINTS, which is
# also the highest threshold and cap: a threshold above it could never be reached.
MAX_POINTS = 10_000.0  # a rule's points (per event for engagement), a negative signal
MAX_RULES = 100  # fit rules; engagement rules
MAX_THRESHOLD = MAX_RULES * MAX_POINTS  # fit_min, engagement_min, a matrix entry, a cap
MIN_HALF_LIFE_DAYS, MAX_HALF_LIFE_DAYS = 1.0, 3650.0
MAX_RANGE_VALUE = 1e12  # a range rule's min and max
MAX_CAMPAIGN_ID = 2**63 - 1  # a database id


def is_known_attribute(name: str) -> bool:
    if name in CONTACT_ATTRIBUTES or name in COMPANY_ATTRIBUTES or name in DERIVED_ATTRIBUTES:
        return True
    return any(name.startswith(p) and len(name) > len(p) for p in CUSTOM_PREFIXES)


class DocumentInvalid(ValueError):
    """The document was refused. `fields` maps dotted field paths to messages."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        first = next(iter(fields.items()), ("document", ["invalid"]))
        super().__init__(f"{first[0]}: {first[1][0]}")
        self.fields = fields


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


def _stored(info: ValidationInfo) -> bool:
    """Whether a stored version is being read: its numbers are clamped, not refused."""
    return bool(info.context and info.context.get("stored"))


def _bounded(
    value: float | None, info: ValidationInfo, low: float | None, high: float, unit: str = ""
) -> float | None:
    """`value` unless it lies outside [low, high] (or is not a number at all). A bound the
    field already checks (e.g. `le=0`) is passed as None, so its own message stays."""
    if value is None or _stored(info):
        return value
    if math.isnan(value) or value > high or (low is not None and value < low):
        name = info.field_name
        if low is None:
            raise ValueError(f"{name} must be at most {_number(high)}{unit}")
        raise ValueError(f"{name} must be between {_number(low)} and {_number(high)}{unit}")
    return value


def _clip(value: float, low: float, high: float, not_a_number: float) -> float:
    return not_a_number if math.isnan(value) else min(max(value, low), high)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FitRule(_Strict):
    """A rule on one attribute. It adds `points` (may be negative) and/or sets `grade`."""

    id: str = Field(min_length=1, max_length=60)
    attribute: str
    operator: Operator
    value: str | list[str] | None = None
    min: float | None = None
    max: float | None = None
    points: float = 0
    grade: Grade | None = None

    @field_validator("attribute")
    @classmethod
    def _known_attribute(cls, v: str) -> str:
        if not is_known_attribute(v):
            known = ", ".join(CONTACT_ATTRIBUTES + COMPANY_ATTRIBUTES + DERIVED_ATTRIBUTES)
            raise ValueError(
                f"unknown attribute '{v}' (use one of {known}, custom:<name> or "
                "company.custom:<name>)"
            )
        return v

    @field_validator("points")
    @classmethod
    def _points_bounded(cls, v: float, info: ValidationInfo) -> float | None:
        return _bounded(v, info, -MAX_POINTS, MAX_POINTS)

    @field_validator("min", "max")
    @classmethod
    def _range_bounded(cls, v: float | None, info: ValidationInfo) -> float | None:
        return _bounded(v, info, -MAX_RANGE_VALUE, MAX_RANGE_VALUE)

    @model_validator(mode="after")
    def _operator_arguments(self) -> FitRule:
        op = self.operator
        if op in ("equals", "contains", "regex") and not (
            isinstance(self.value, str) and self.value
        ):
            raise _FieldError("value", f"operator '{op}' needs a non-empty text value")
        if op == "in" and not (isinstance(self.value, list) and self.value):
            raise _FieldError("value", "operator 'in' needs a non-empty list of values")
        if op == "regex":
            try:
                re.compile(str(self.value))
            except re.error as exc:
                raise _FieldError("value", f"invalid regular expression: {exc}") from exc
        if op == "range":
            self._check_range()
        if self.points == 0 and self.grade is None:
            raise _FieldError("points", "a rule must add or subtract points or set a grade")
        return self

    def _check_range(self) -> None:
        if self.min is None and self.max is None:
            raise _FieldError("min", "operator 'range' needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise _FieldError("min", f"min ({self.min:g}) is greater than max ({self.max:g})")


class EngagementRule(_Strict):
    """Points per touchpoint of a type (or per activity of a kind), optionally restricted to one
    campaign or one utm_content, capped per contact."""

    id: str = Field(min_length=1, max_length=60)
    source: Literal["touchpoint", "activity"]
    type: str
    points: float
    campaign_id: int | None = None
    utm_content: str | None = None
    cap: float | None = None

    @field_validator("points")
    @classmethod
    def _points_bounded(cls, v: float, info: ValidationInfo) -> float | None:
        return _bounded(v, info, -MAX_POINTS, MAX_POINTS, " per event")

    @field_validator("cap")
    @classmethod
    def _cap_bounded(cls, v: float | None, info: ValidationInfo) -> float | None:
        return _bounded(v, info, None, MAX_THRESHOLD)  # "greater than 0" is checked below

    @field_validator("campaign_id")
    @classmethod
    def _campaign_bounded(cls, v: int | None, info: ValidationInfo) -> int | None:
        if v is not None and not _stored(info) and not 1 <= v <= MAX_CAMPAIGN_ID:
            raise ValueError("campaign_id must be a campaign's id (a whole number from 1)")
        return v

    @model_validator(mode="after")
    def _known_type(self) -> EngagementRule:
        known = TOUCHPOINT_TYPES if self.source == "touchpoint" else ACTIVITY_KINDS
        if self.type not in known:
            raise _FieldError(
                "type", f"unknown {self.source} type '{self.type}' (use one of {', '.join(known)})"
            )
        if self.cap is not None and self.cap <= 0:
            raise _FieldError("cap", "cap must be greater than 0")
        if self.points == 0:
            raise _FieldError("points", "points must not be 0")
        if self.campaign_id is not None and self.source != "touchpoint":
            raise _FieldError("campaign_id", "only touchpoint rules can name a campaign")
        if self.utm_content is not None and self.source != "touchpoint":
            raise _FieldError("utm_content", "only touchpoint rules can name a utm_content")
        return self

    @property
    def kind(self) -> str:
        return f"{self.source}:{self.type}"


class NegativeSignals(_Strict):
    """Points (zero or negative) applied once per contact, never decayed."""

    unsubscribe: float = Field(default=0, le=0)
    bounce: float = Field(default=0, le=0)
    competitor_domains: list[str] = Field(default_factory=list)
    competitor: float = Field(default=0, le=0)
    student_domains: list[str] = Field(default_factory=lambda: [".edu", ".ac.uk"])
    student: float = Field(default=0, le=0)

    @field_validator("unsubscribe", "bounce", "competitor", "student")
    @classmethod
    def _points_bounded(cls, v: float, info: ValidationInfo) -> float | None:
        return _bounded(v, info, -MAX_POINTS, 0)

    @field_validator("competitor_domains", "student_domains")
    @classmethod
    def _normalise_domains(cls, v: list[str]) -> list[str]:
        out = [d.strip().lower() for d in v]
        if any(not d or " " in d for d in out):
            raise ValueError("domains must be non-empty and contain no spaces")
        return out


class MqlThresholds(_Strict):
    """Either fit >= fit_min and engagement >= engagement_min, or a grade x score matrix: the
    engagement a contact of each grade needs (grades not in the matrix never qualify)."""

    fit_min: float | None = Field(default=None, ge=0)
    engagement_min: float | None = Field(default=None, ge=0)
    matrix: dict[Grade, float] | None = None

    @field_validator("fit_min", "engagement_min")
    @classmethod
    def _threshold_bounded(cls, v: float | None, info: ValidationInfo) -> float | None:
        return _bounded(v, info, None, MAX_THRESHOLD)  # ge=0 says why a negative one is refused

    @field_validator("matrix")
    @classmethod
    def _matrix_bounded(
        cls, v: dict[Grade, float] | None, info: ValidationInfo
    ) -> dict[Grade, float] | None:
        for grade, value in (v or {}).items():
            if not _stored(info) and (math.isnan(value) or value > MAX_THRESHOLD):
                raise _FieldError(grade, f"a threshold must be at most {_number(MAX_THRESHOLD)}")
        return v

    @model_validator(mode="after")
    def _one_mode(self) -> MqlThresholds:
        threshold_mode = self.fit_min is not None or self.engagement_min is not None
        if self.matrix is not None and threshold_mode:
            raise _FieldError("matrix", "use either fit_min/engagement_min or a matrix, not both")
        if self.matrix is None and not threshold_mode:
            raise _FieldError("fit_min", "set fit_min and engagement_min, or a matrix")
        if self.matrix is not None:
            if not self.matrix:
                raise _FieldError("matrix", "the matrix needs at least one grade")
            for grade, value in self.matrix.items():
                if value < 0:
                    raise _FieldError(f"matrix.{grade}", "a threshold must not be negative")
        return self


class SqlCriteria(_Strict):
    """What sales confirms to call a lead SQL: BANT, or a custom checklist."""

    kind: Literal["bant", "checklist"] = "bant"
    items: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _items(self) -> SqlCriteria:
        if self.kind == "checklist" and not [i for i in self.items if i.strip()]:
            raise _FieldError("items", "a checklist needs at least one item")
        return self

    @property
    def checklist(self) -> list[str]:
        if self.kind == "bant":
            return ["budget", "authority", "need", "timeline"]
        return [i.strip() for i in self.items if i.strip()]


class LeadDefinitionDocument(_Strict):
    schema_version: Literal[1] = 1
    fit_rules: list[FitRule] = Field(default_factory=list)
    default_grade: Grade = "D"
    engagement_rules: list[EngagementRule] = Field(default_factory=list)
    negative_signals: NegativeSignals = Field(default_factory=NegativeSignals)
    half_life_days: float | None = Field(default=None, gt=0)
    mql: MqlThresholds
    demote_below: bool = False
    sql: SqlCriteria = Field(default_factory=SqlCriteria)

    @field_validator("fit_rules", "engagement_rules")
    @classmethod
    def _few_rules(cls, v: list[Any], info: ValidationInfo) -> list[Any]:
        if len(v) > MAX_RULES and not _stored(info):
            raise ValueError(f"at most {MAX_RULES} rules")
        return v

    @field_validator("half_life_days")
    @classmethod
    def _half_life_bounded(cls, v: float | None, info: ValidationInfo) -> float | None:
        return _bounded(v, info, MIN_HALF_LIFE_DAYS, MAX_HALF_LIFE_DAYS, " days")

    @model_validator(mode="after")
    def _unique_ids(self) -> LeadDefinitionDocument:
        for name, ids in (
            ("fit_rules", [r.id for r in self.fit_rules]),
            ("engagement_rules", [r.id for r in self.engagement_rules]),
        ):
            for i, rule_id in enumerate(ids):
                if rule_id in ids[:i]:
                    raise _FieldError(f"{name}.{i}.id", f"duplicate rule id '{rule_id}'")
        return self


class _FieldError(ValueError):
    """Raised inside a model validator to point at one field of that model."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _error_path(loc: tuple[int | str, ...], ctx: dict[str, Any] | None) -> tuple[str, str]:
    path = ".".join(str(p) for p in loc if p != "[key]")
    error = (ctx or {}).get("error")
    if isinstance(error, _FieldError):
        return (f"{path}.{error.field}" if path else error.field), error.message
    return path or "document", ""


def parse_document(data: Any) -> LeadDefinitionDocument:
    """Validate `data`; raise `DocumentInvalid` with field-precise messages."""
    return _parse(data, stored=False)


def parse_stored_document(data: Any) -> LeadDefinitionDocument:
    """A saved version's document as scoring reads it: validated as `parse_document` does but
    without the numeric bounds (a version saved before they existed must keep loading), then
    every number clamped into them (`clamped`)."""
    return clamped(_parse(data, stored=True))


def clamped(doc: LeadDefinitionDocument) -> LeadDefinitionDocument:
    """`doc` with every number clamped into its bounds (a number that is not one at all takes
    the value that does least: no points, the highest cap and threshold). A document that
    validates is returned as it is."""
    if _within_bounds(doc):  # the usual case, checked without copying (scoring calls this)
        return doc
    fit = [_clamped_fit(rule) for rule in doc.fit_rules]
    engagement = [_clamped_engagement(rule) for rule in doc.engagement_rules]
    signals = doc.negative_signals
    negative = {
        name: _clip(getattr(signals, name), -MAX_POINTS, 0.0, 0.0)
        for name in ("unsubscribe", "bounce", "competitor", "student")
    }
    mql = doc.mql
    limits = {
        name: None if value is None else _clip(value, 0.0, MAX_THRESHOLD, MAX_THRESHOLD)
        for name, value in (("fit_min", mql.fit_min), ("engagement_min", mql.engagement_min))
    }
    matrix = (
        None
        if mql.matrix is None
        else {g: _clip(v, 0.0, MAX_THRESHOLD, MAX_THRESHOLD) for g, v in mql.matrix.items()}
    )
    half_life = doc.half_life_days
    if half_life is not None:
        half_life = _clip(half_life, MIN_HALF_LIFE_DAYS, MAX_HALF_LIFE_DAYS, MAX_HALF_LIFE_DAYS)
    update = {
        "fit_rules": fit,
        "engagement_rules": engagement,
        "negative_signals": signals.model_copy(update=negative),
        "mql": mql.model_copy(update=limits | {"matrix": matrix}),
        "half_life_days": half_life,
    }
    return doc.model_copy(update=update)


def _within_bounds(doc: LeadDefinitionDocument) -> bool:
    def inside(value: float | None, low: float, high: float) -> bool:
        return value is None or low <= value <= high  # False for NaN

    signals = doc.negative_signals
    mql = doc.mql
    thresholds = [mql.fit_min, mql.engagement_min, *(mql.matrix or {}).values()]
    return (
        all(
            inside(r.points, -MAX_POINTS, MAX_POINTS)
            and inside(r.min, -MAX_RANGE_VALUE, MAX_RANGE_VALUE)
            and inside(r.max, -MAX_RANGE_VALUE, MAX_RANGE_VALUE)
            for r in doc.fit_rules
        )
        and all(
            inside(r.points, -MAX_POINTS, MAX_POINTS) and inside(r.cap, 0.0, MAX_THRESHOLD)
            for r in doc.engagement_rules
        )
        and all(
            inside(p, -MAX_POINTS, 0.0)
            for p in (signals.unsubscribe, signals.bounce, signals.competitor, signals.student)
        )
        and all(inside(t, 0.0, MAX_THRESHOLD) for t in thresholds)
        and inside(doc.half_life_days, MIN_HALF_LIFE_DAYS, MAX_HALF_LIFE_DAYS)
    )


def _clamped_fit(rule: FitRule) -> FitRule:
    bounds = {
        name: _clip(value, -MAX_RANGE_VALUE, MAX_RANGE_VALUE, value)  # NaN: never fires
        for name, value in (("min", rule.min), ("max", rule.max))
        if value is not None
    }
    points = _clip(rule.points, -MAX_POINTS, MAX_POINTS, 0.0)
    return rule.model_copy(update=bounds | {"points": points})


def _clamped_engagement(rule: EngagementRule) -> EngagementRule:
    cap = None if rule.cap is None else _clip(rule.cap, 0.0, MAX_THRESHOLD, MAX_THRESHOLD)
    points = _clip(rule.points, -MAX_POINTS, MAX_POINTS, 0.0)
    return rule.model_copy(update={"points": points, "cap": cap})


def _parse(data: Any, *, stored: bool) -> LeadDefinitionDocument:
    if not isinstance(data, dict):
        raise DocumentInvalid({"document": ["the document must be a JSON object"]})
    try:
        return LeadDefinitionDocument.model_validate(data, context={"stored": stored})
    except ValidationError as exc:
        fields: dict[str, list[str]] = {}
        for err in exc.errors():
            path, message = _error_path(tuple(err["loc"]), err.get("ctx"))
            text = message or err["msg"].removeprefix("Value error, ")
            fields.setdefault(path, []).append(text)
        raise DocumentInvalid(fields) from exc


def dump_document(doc: LeadDefinitionDocument) -> dict[str, Any]:
    return doc.model_dump(mode="json")
