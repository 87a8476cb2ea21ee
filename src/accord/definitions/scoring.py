"""Vectorised scoring of a lead definition over columnar inputs: pure numpy, no Django.

Contacts come as one text array per attribute (``""`` means unknown); engagement events as
parallel arrays (contact index, kind ``"touchpoint:<type>"`` or ``"activity:<kind>"``, timestamp
in epoch seconds, campaign id or -1, utm_content). Text predicates are evaluated once per distinct
value and broadcast back, so the cost grows with the number of distinct values, not contacts.

Semantics (documented in docs/lead-definitions.md):
- a fit rule on an unknown attribute does not fire (`is_empty` fires exactly on unknown);
- `equals`, `in` and `contains` ignore case and surrounding spaces; `regex` is `re.search`
  as written (use ``(?i)`` for case-insensitive); `range` is inclusive and fires only on values
  that parse as numbers;
- the grade is the best grade set by any fired rule, else the document's `default_grade`;
- engagement points decay as points * 0.5^(age_days / half_life_days); events after `as_of`
  are ignored; a rule's cap limits the absolute value of its decayed sum per contact;
- negative signals apply once per contact, undecayed;
- scores are always finite: the document's numbers are clamped into their bounds first (a
  version saved before the bounds existed may hold e.g. 1e308 points), and what comes out is
  kept within +-SCORE_LIMIT (NaN, which no bounded document can produce, would count as 0).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from accord.definitions.document import (
    GRADES,
    EngagementRule,
    FitRule,
    LeadDefinitionDocument,
    clamped,
)

SECONDS_PER_DAY = 86400.0
# No bounded document comes near it (a contact would need 10^11 scored events); it keeps a
# score a JSON number and a float column value whatever happens upstream.
SCORE_LIMIT = 1e15
_NO_GRADE = len(GRADES)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


class _Decoded(Mapping[str, npt.NDArray[np.str_]]):
    """Dictionary-encoded columns, spelled out only when one is asked for: scoring reads the
    codes, and a million contacts' titles as fixed-width text are tens of megabytes."""

    def __init__(self, distinct: Mapping[str, tuple[npt.NDArray[np.str_], IntArray]]) -> None:
        self._distinct = distinct
        self._spelled: dict[str, npt.NDArray[np.str_]] = {}

    def __getitem__(self, name: str) -> npt.NDArray[np.str_]:
        if name not in self._spelled:
            uniques, codes = self._distinct[name]
            self._spelled[name] = uniques[codes]
        return self._spelled[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._distinct)

    def __len__(self) -> int:
        return len(self._distinct)


@dataclass(frozen=True)
class ContactColumns:
    """One text array per attribute name; a name that is absent is unknown for everyone."""

    size: int
    attributes: Mapping[str, npt.NDArray[np.str_]]
    email_domain: npt.NDArray[np.str_]
    # Distinct values and each contact's index into them, computed once per attribute.
    _distinct: dict[str, tuple[npt.NDArray[np.str_], IntArray]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def empty(cls) -> ContactColumns:
        return cls(size=0, attributes={}, email_domain=np.zeros(0, dtype=np.str_))

    @classmethod
    def encoded(
        cls,
        size: int,
        distinct: Mapping[str, tuple[npt.NDArray[np.str_], IntArray]],
        email_domain: npt.NDArray[np.str_],
    ) -> ContactColumns:
        """Columns given as (distinct values, each contact's index into them), as a loader
        that dictionary-encodes them has them: nothing is sorted again to score them."""
        return cls(
            size=size,
            attributes=_Decoded(distinct),
            email_domain=email_domain,
            _distinct=dict(distinct),
        )

    def column(self, name: str) -> npt.NDArray[np.str_]:
        col = self.attributes.get(name)
        return col if col is not None else np.full(self.size, "", dtype=np.str_)

    def distinct(self, name: str) -> tuple[npt.NDArray[np.str_], IntArray]:
        if name not in self._distinct:
            uniques, inverse = np.unique(self.column(name), return_inverse=True)
            self._distinct[name] = (uniques, inverse.reshape(-1).astype(np.int64))
        return self._distinct[name]

    def take(self, indexes: IntArray) -> ContactColumns:
        return ContactColumns(
            size=len(indexes),
            attributes={k: v[indexes] for k, v in self.attributes.items()},
            email_domain=self.email_domain[indexes],
        )


@dataclass(frozen=True)
class EventColumns:
    """Events as parallel arrays. Kinds are small codes into `kind_names` (ten million events
    would otherwise be a gigabyte of fixed-width text); `kind` spells them out when needed."""

    contact_index: IntArray
    kind_code: npt.NDArray[np.int16]
    kind_names: tuple[str, ...]
    timestamp: FloatArray
    campaign_id: IntArray
    utm_content: npt.NDArray[np.str_]

    @classmethod
    def of(
        cls,
        contact_index: IntArray,
        kind: npt.NDArray[np.str_],
        timestamp: FloatArray,
        campaign_id: IntArray,
        utm_content: npt.NDArray[np.str_],
    ) -> EventColumns:
        """From kinds spelled out (tests, small reads)."""
        names, codes = np.unique(np.asarray(kind, dtype=np.str_), return_inverse=True)
        return cls(
            contact_index=contact_index,
            kind_code=codes.reshape(-1).astype(np.int16),
            kind_names=tuple(str(n) for n in names),
            timestamp=timestamp,
            campaign_id=campaign_id,
            utm_content=utm_content,
        )

    @classmethod
    def empty(cls) -> EventColumns:
        return cls(
            contact_index=np.zeros(0, dtype=np.int64),
            kind_code=np.zeros(0, dtype=np.int16),
            kind_names=(),
            timestamp=np.zeros(0, dtype=np.float64),
            campaign_id=np.zeros(0, dtype=np.int64),
            utm_content=np.zeros(0, dtype=np.str_),
        )

    @cached_property
    def kind(self) -> npt.NDArray[np.str_]:
        names = np.array(self.kind_names or ("",), dtype=np.str_)
        return names[self.kind_code]

    def is_kind(self, kind: str) -> BoolArray:
        if kind not in self.kind_names:
            return np.zeros(len(self.kind_code), dtype=bool)
        return np.asarray(self.kind_code == self.kind_names.index(kind))

    def select(self, mask: BoolArray | IntArray, new_index: IntArray | None = None) -> EventColumns:
        """The events a mask keeps, or those at the given positions (in that order)."""
        return EventColumns(
            contact_index=self.contact_index[mask] if new_index is None else new_index,
            kind_code=self.kind_code[mask],
            kind_names=self.kind_names,
            timestamp=self.timestamp[mask],
            campaign_id=self.campaign_id[mask],
            utm_content=self.utm_content[mask],
        )


@dataclass(frozen=True)
class Scores:
    fit: FloatArray
    grade: npt.NDArray[np.str_]
    engagement: FloatArray
    mql: BoolArray


@dataclass(frozen=True)
class FiredRule:
    rule_id: str
    section: str  # "fit", "engagement" or "negative"
    description: str
    points: float
    raw_points: float = 0.0
    events: int = 0
    capped: bool = False
    grade: str = ""


@dataclass(frozen=True)
class Explanation:
    fit: float
    grade: str
    engagement: float
    mql: bool
    half_life_days: float | None
    rules: list[FiredRule] = field(default_factory=list)


# Fit ------------------------------------------------------------------------------------------
def _hits(
    uniques: npt.NDArray[np.str_], inverse: IntArray, predicate: Callable[[str], bool]
) -> BoolArray:
    hits = np.fromiter((bool(u) and predicate(str(u)) for u in uniques), bool, len(uniques))
    return hits[inverse] if len(inverse) else np.zeros(0, dtype=bool)


def _per_distinct(col: npt.NDArray[np.str_], predicate: Callable[[str], bool]) -> BoolArray:
    uniques, inverse = np.unique(col, return_inverse=True)
    return _hits(uniques, inverse.reshape(-1).astype(np.int64), predicate)


def _as_number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return None if np.isnan(value) else value


def _range_predicate(rule: FitRule) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        value = _as_number(text)
        if value is None:
            return False
        return (rule.min is None or value >= rule.min) and (rule.max is None or value <= rule.max)

    return check


def _predicate(rule: FitRule) -> Callable[[str], bool]:
    if rule.operator == "range":
        return _range_predicate(rule)
    if rule.operator == "regex":
        pattern = re.compile(str(rule.value))
        return lambda text: pattern.search(text) is not None
    if rule.operator == "in":
        wanted = {str(v).strip().casefold() for v in rule.value or []}
        return lambda text: text.strip().casefold() in wanted
    needle = str(rule.value).strip().casefold()
    if rule.operator == "contains":
        return lambda text: needle in text.casefold()
    return lambda text: text.strip().casefold() == needle


def _numbers(uniques: npt.NDArray[np.str_]) -> FloatArray:
    """Each distinct value as a number (NaN when it is not one), as `_as_number` reads it: all
    at once when every known value parses, value by value otherwise."""
    stripped = np.char.strip(uniques)
    numbers = np.full(len(uniques), np.nan)
    known = stripped != ""
    try:
        numbers[known] = stripped[known].astype(np.float64)
    except ValueError:
        parsed = (_as_number(str(u)) for u in stripped[known])
        numbers[known] = np.fromiter((np.nan if v is None else v for v in parsed), np.float64)
    return numbers


def _range_fires(rule: FitRule, uniques: npt.NDArray[np.str_], inverse: IntArray) -> BoolArray:
    numbers = _numbers(uniques)
    hits = ~np.isnan(numbers)
    if rule.min is not None:
        hits &= numbers >= rule.min
    if rule.max is not None:
        hits &= numbers <= rule.max
    return hits[inverse] if len(inverse) else np.zeros(0, dtype=bool)


def fit_rule_fires(rule: FitRule, contacts: ContactColumns) -> BoolArray:
    uniques, inverse = contacts.distinct(rule.attribute)
    if rule.operator == "range":
        return _range_fires(rule, uniques, inverse)
    if rule.operator == "is_empty":
        blank = np.fromiter((not str(u).strip() for u in uniques), bool, len(uniques))
        return blank[inverse] if len(inverse) else np.zeros(0, dtype=bool)
    return _hits(uniques, inverse, _predicate(rule))


def _fit(doc: LeadDefinitionDocument, contacts: ContactColumns) -> tuple[FloatArray, IntArray]:
    fit = np.zeros(contacts.size, dtype=np.float64)
    best = np.full(contacts.size, _NO_GRADE, dtype=np.int64)
    for rule in doc.fit_rules:
        fired = fit_rule_fires(rule, contacts)
        fit += np.where(fired, rule.points, 0.0)
        if rule.grade is not None:
            best = np.where(fired, np.minimum(best, GRADES.index(rule.grade)), best)
    grade = np.where(best == _NO_GRADE, GRADES.index(doc.default_grade), best)
    return fit, grade


# Engagement -----------------------------------------------------------------------------------
def decay_factor(age_days: FloatArray, half_life_days: float | None) -> FloatArray:
    if half_life_days is None:
        return np.ones_like(age_days, dtype=np.float64)
    return np.power(0.5, np.maximum(age_days, 0.0) / half_life_days)


def _rule_events(rule: EngagementRule, events: EventColumns) -> BoolArray:
    mask = events.is_kind(rule.kind)
    if rule.campaign_id is not None:
        mask &= events.campaign_id == rule.campaign_id
    if rule.utm_content is not None:
        mask &= np.char.lower(events.utm_content) == rule.utm_content.strip().lower()
    return mask


def _rule_totals(
    rule: EngagementRule, events: EventColumns, weights: FloatArray, n: int
) -> tuple[FloatArray, FloatArray]:
    """(capped decayed total, uncapped decayed total) per contact for one rule."""
    mask = _rule_events(rule, events)
    total = np.bincount(
        events.contact_index[mask], weights=weights[mask] * rule.points, minlength=n
    )
    total = total.astype(np.float64)
    if rule.cap is None:
        return total, total
    return np.clip(total, -rule.cap, rule.cap), total


def _domain_hits(domains: npt.NDArray[np.str_], entries: list[str]) -> BoolArray:
    def matches(domain: str) -> bool:
        d = domain.strip().lower()
        return any(
            d.endswith(e) if e.startswith(".") else (d == e or d.endswith("." + e)) for e in entries
        )

    if not entries:
        return np.zeros(len(domains), dtype=bool)
    return _per_distinct(domains, matches)


def _negative_masks(
    doc: LeadDefinitionDocument, contacts: ContactColumns, events: EventColumns
) -> list[tuple[str, float, BoolArray]]:
    signals = doc.negative_signals
    n = contacts.size
    out: list[tuple[str, float, BoolArray]] = []
    for name, kind, points in (
        ("unsubscribe", "touchpoint:unsubscribe", signals.unsubscribe),
        ("bounce", "touchpoint:bounce", signals.bounce),
    ):
        if points:
            hit = np.bincount(events.contact_index[events.is_kind(kind)], minlength=n) > 0
            out.append((name, points, hit))
    if signals.competitor:
        hit = _domain_hits(contacts.email_domain, signals.competitor_domains)
        out.append(("competitor", signals.competitor, hit))
    if signals.student:
        out.append(
            (
                "student",
                signals.student,
                _domain_hits(contacts.email_domain, signals.student_domains),
            )
        )
    return out


def _in_window(events: EventColumns, as_of: float) -> tuple[EventColumns, FloatArray]:
    """Events up to `as_of` and their age in days (a copy only when some are later)."""
    keep = events.timestamp <= as_of
    kept = events if bool(keep.all()) else events.select(keep)
    return kept, (as_of - kept.timestamp) / SECONDS_PER_DAY


def _engagement(
    doc: LeadDefinitionDocument, contacts: ContactColumns, events: EventColumns, as_of: float
) -> FloatArray:
    kept, age = _in_window(events, as_of)
    weights = decay_factor(age, doc.half_life_days)
    total = np.zeros(contacts.size, dtype=np.float64)
    for rule in doc.engagement_rules:
        total += _rule_totals(rule, kept, weights, contacts.size)[0]
    for _name, points, hit in _negative_masks(doc, contacts, kept):
        total += np.where(hit, points, 0.0)
    return total


def finite(values: FloatArray) -> FloatArray:
    """`values` with NaN as 0 and everything within +-SCORE_LIMIT."""
    return np.clip(np.nan_to_num(values, nan=0.0), -SCORE_LIMIT, SCORE_LIMIT)


# MQL ------------------------------------------------------------------------------------------
def _mql(
    doc: LeadDefinitionDocument, fit: FloatArray, grade: IntArray, eng: FloatArray
) -> BoolArray:
    thresholds = doc.mql
    if thresholds.matrix is not None:
        matrix: dict[str, float] = {str(k): v for k, v in thresholds.matrix.items()}
        needed = np.array([matrix.get(g, np.inf) for g in GRADES], dtype=np.float64)
        return eng >= needed[grade]
    return (fit >= (thresholds.fit_min or 0.0)) & (eng >= (thresholds.engagement_min or 0.0))


def score(
    doc: LeadDefinitionDocument, contacts: ContactColumns, events: EventColumns, as_of: float
) -> Scores:
    """Fit, grade, engagement and MQL for every contact, as of `as_of` (epoch seconds)."""
    doc = clamped(doc)
    fit, grade = _fit(doc, contacts)
    fit = finite(fit)
    engagement = finite(_engagement(doc, contacts, events, as_of))
    return Scores(
        fit=fit,
        grade=np.array(GRADES, dtype=np.str_)[grade],
        engagement=engagement,
        mql=_mql(doc, fit, grade, engagement),
    )
