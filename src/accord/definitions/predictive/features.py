"""The predictive model's feature matrix, built from columnar inputs: pure numpy, no Django.

Every contact is described *as of its prediction point*: its creation time plus the
observation window (``observation_days``), or now if the window has not ended yet. What it is:
one-hot columns of seniority, department, country, original source, company industry, company
size bucket and the type of its first touchpoint. What it did: the number of touchpoints of
each type and activities of each kind up to the prediction point, as ``log(1 + count)``.
Nothing that happened after the prediction point is used, so the outcome cannot leak in.

A category level gets its own column only if at least ``min_count`` training contacts have
it; rarer values share an ``(other)`` column, and a missing value is the level ``(unknown)``.
The chosen levels and event kinds are part of the stored model (`FeatureSpec.to_json`), so
scoring later builds exactly the same columns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from accord.definitions.scoring import ContactColumns, EventColumns

DAY = 86_400.0
UNKNOWN = "(unknown)"
OTHER = "(other)"
NO_TOUCHPOINT = "(none)"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
TextArray = npt.NDArray[np.str_]

# (category, label) in column order; "company.size" and "first_touch" are derived.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("seniority", "seniority"),
    ("department", "department"),
    ("country", "country"),
    ("original_source", "original source"),
    ("company.industry", "company industry"),
    ("company.size", "company size"),
    ("first_touch", "first touchpoint"),
)
_LABELS = dict(CATEGORIES)
# (lowest employee count, bucket label), ascending.
SIZE_BUCKETS: tuple[tuple[int, str], ...] = (
    (1, "1-49"),
    (50, "50-249"),
    (250, "250-999"),
    (1000, "1000-4999"),
    (5000, "5000+"),
)
COUNT_PREFIX = "count:"


@dataclass(frozen=True)
class ContactTable:
    """The contacts (attributes as text columns, "" = unknown), their creation times (epoch
    seconds) and their touchpoints and activities."""

    created: FloatArray
    contacts: ContactColumns
    events: EventColumns

    @property
    def size(self) -> int:
        return len(self.created)

    def take(self, indexes: IntArray) -> ContactTable:
        """The contacts at `indexes` (in that order) with their events re-indexed."""
        lookup = np.full(self.size, -1, dtype=np.int64)
        lookup[indexes] = np.arange(len(indexes), dtype=np.int64)
        position = lookup[self.events.contact_index] if self.size else np.zeros(0, np.int64)
        keep = position >= 0
        return ContactTable(
            created=self.created[indexes],
            contacts=self.contacts.take(indexes),
            events=self.events.select(keep, position[keep]),
        )


@dataclass(frozen=True)
class FeatureSpec:
    """Which columns the model has: the kept levels per category and the counted event kinds."""

    observation_days: float
    levels: dict[str, list[str]]
    event_kinds: list[str]

    @property
    def names(self) -> list[str]:
        one_hot = [f"{cat}={level}" for cat, _ in CATEGORIES for level in self.levels.get(cat, [])]
        return one_hot + [f"{COUNT_PREFIX}{kind}" for kind in self.event_kinds]

    def to_json(self) -> dict[str, Any]:
        return {
            "observation_days": self.observation_days,
            "levels": {k: list(v) for k, v in self.levels.items()},
            "event_kinds": list(self.event_kinds),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeatureSpec:
        return cls(
            observation_days=float(data["observation_days"]),
            levels={str(k): [str(x) for x in v] for k, v in data["levels"].items()},
            event_kinds=[str(k) for k in data["event_kinds"]],
        )


def prediction_points(created: FloatArray, observation_days: float, as_of: float) -> FloatArray:
    """Each contact's prediction point: creation + the observation window, at most `as_of`."""
    return np.minimum(created + observation_days * DAY, as_of)


def _size_bucket(text: str) -> str:
    try:
        count = float(text)
    except ValueError:
        return UNKNOWN
    if not count >= SIZE_BUCKETS[0][0]:  # also refuses NaN
        return UNKNOWN
    label = SIZE_BUCKETS[0][1]
    for lowest, name in SIZE_BUCKETS:
        if count >= lowest:
            label = name
    return label


def _per_distinct(column: TextArray, convert: Any) -> TextArray:
    uniques, inverse = np.unique(column, return_inverse=True)
    converted = np.array([convert(str(u)) for u in uniques] or [""], dtype=np.str_)
    return converted[inverse.reshape(-1)] if len(column) else np.zeros(0, dtype=np.str_)


def _normalise(text: str) -> str:
    return text.strip().casefold() or UNKNOWN


def _in_window(table: ContactTable, points: FloatArray) -> EventColumns:
    events = table.events
    if not len(events.kind):
        return events
    return events.select(events.timestamp <= points[events.contact_index])


def _first_touch(table: ContactTable, events: EventColumns) -> TextArray:
    first = np.full(table.size, NO_TOUCHPOINT, dtype=object)
    touch = np.char.startswith(events.kind.astype(np.str_), "touchpoint:")
    if bool(touch.any()):
        index, when = events.contact_index[touch], events.timestamp[touch]
        kinds = events.kind[touch]
        order = np.lexsort((when, index))
        index, kinds = index[order], kinds[order]
        starts = np.ones(len(index), dtype=bool)
        starts[1:] = index[1:] != index[:-1]
        first[index[starts]] = [str(k).removeprefix("touchpoint:") for k in kinds[starts]]
    return first.astype(np.str_)


def categories(table: ContactTable, points: FloatArray) -> dict[str, TextArray]:
    """Each contact's value of every category, normalised ("" becomes ``(unknown)``)."""
    values: dict[str, TextArray] = {}
    for name, _label in CATEGORIES:
        if name == "company.size":
            raw = table.contacts.column("company.employee_count")
            values[name] = _per_distinct(raw, _size_bucket)
        elif name == "first_touch":
            values[name] = _first_touch(table, _in_window(table, points))
        else:
            values[name] = _per_distinct(table.contacts.column(name), _normalise)
    return values


def fit_spec(
    table: ContactTable,
    points: FloatArray,
    rows: IntArray,
    *,
    observation_days: float,
    min_count: int = 5,
) -> FeatureSpec:
    """The columns to learn from: levels and event kinds seen in at least `min_count` of the
    training contacts `rows` (rarer levels share ``(other)``)."""
    values = categories(table, points)
    levels: dict[str, list[str]] = {}
    for name, _label in CATEGORIES:
        counts = Counter(str(v) for v in values[name][rows])
        kept = sorted(level for level, n in counts.items() if n >= min_count)
        if len(kept) < len(counts):
            kept.append(OTHER)
        levels[name] = kept
    events = _in_window(table, points)
    in_rows = np.zeros(table.size, dtype=bool)
    in_rows[rows] = True
    seen = Counter(str(k) for k in events.kind[in_rows[events.contact_index]])
    kinds = sorted(k for k, n in seen.items() if n >= min_count)
    return FeatureSpec(observation_days=observation_days, levels=levels, event_kinds=kinds)


def _one_hot(values: TextArray, levels: list[str]) -> FloatArray:
    out = np.zeros((len(values), len(levels)), dtype=np.float64)
    if not levels or not len(values):
        return out
    position = {level: i for i, level in enumerate(levels)}
    fallback = position.get(OTHER, -1)
    uniques, inverse = np.unique(values, return_inverse=True)
    column = np.array([position.get(str(u), fallback) for u in uniques], dtype=np.int64)
    picked = column[inverse.reshape(-1)]
    known = picked >= 0
    out[np.nonzero(known)[0], picked[known]] = 1.0
    return out


def event_counts(table: ContactTable, points: FloatArray, kinds: list[str]) -> FloatArray:
    """Events of each kind per contact up to its prediction point (contacts x kinds)."""
    n, k = table.size, len(kinds)
    events = _in_window(table, points)
    if not k or not n or not len(events.kind):
        return np.zeros((n, k), dtype=np.float64)
    uniques, inverse = np.unique(events.kind, return_inverse=True)
    position = {kind: i for i, kind in enumerate(kinds)}
    column = np.array([position.get(str(u), -1) for u in uniques], dtype=np.int64)
    picked = column[inverse.reshape(-1)]
    known = picked >= 0
    flat = events.contact_index[known] * k + picked[known]
    return np.bincount(flat, minlength=n * k).reshape(n, k).astype(np.float64)


def feature_matrix(spec: FeatureSpec, table: ContactTable, points: FloatArray) -> FloatArray:
    """The model's columns (in `spec.names` order) for every contact of `table`."""
    values = categories(table, points)
    blocks = [_one_hot(values[name], spec.levels.get(name, [])) for name, _ in CATEGORIES]
    blocks.append(np.log1p(event_counts(table, points, spec.event_kinds)))
    return np.hstack(blocks) if blocks else np.zeros((table.size, 0))


def describe(feature: str, value: float, observation_days: float) -> str:
    """A feature and a contact's value of it in words, e.g. "original source is referral"
    or "3 webinar touchpoints in the first 7 days"."""
    days = f"{observation_days:g}"
    if feature.startswith(COUNT_PREFIX):
        source, _, kind = feature.removeprefix(COUNT_PREFIX).partition(":")
        count = round(float(np.expm1(value)))
        noun = "touchpoint" if source == "touchpoint" else "activity"
        plural = noun if count == 1 else ("activities" if noun == "activity" else "touchpoints")
        return f"{count} {kind.replace('_', ' ')} {plural} in the first {days} days"
    name, _, level = feature.partition("=")
    label = _LABELS.get(name, name)
    shown = {OTHER: "a rare value", UNKNOWN: "unknown", NO_TOUCHPOINT: "none"}.get(level, level)
    return f"{label} is {shown}" if value >= 0.5 else f"{label} is not {shown}"


def feature_label(feature: str, observation_days: float) -> str:
    """A column's name in words, e.g. "original source = referral" or "webinar touchpoints
    (first 7 days)"."""
    if feature.startswith(COUNT_PREFIX):
        source, _, kind = feature.removeprefix(COUNT_PREFIX).partition(":")
        noun = "touchpoints" if source == "touchpoint" else "activities"
        return f"{kind.replace('_', ' ')} {noun} (first {observation_days:g} days)"
    name, _, level = feature.partition("=")
    return f"{_LABELS.get(name, name)} = {level}"
