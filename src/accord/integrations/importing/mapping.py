"""Column mappings: which file column fills which Accord target, and how values translate."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from accord.integrations.importing.presets import PRESETS, Preset, choose_preset
from accord.integrations.importing.targets import IGNORED, TARGETS, header_key, target_names
from accord.integrations.importing.values import DATE_ORDERS, DMY, MDY

CUSTOM_PREFIX = "custom:"


class MappingProblem(ValueError):
    pass


@dataclass
class ColumnMapping:
    record_type: str
    header: list[str]
    targets: list[str]  # one per column: a target name or "custom:<column>"
    preset: str = ""  # the preset it came from, "" for generic header matching
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    day_first: bool = False  # no longer read (jobs stored before `date_order` carry it)
    # The day/month order of 'a/b/YYYY' dates: stated by the person ("dmy"/"mdy") or declared
    # by the preset; "" decides it per column from the whole file (see `dates`).
    date_order: str = ""
    # Decided before a run writes anything and stored with the job, so a resumed run reads
    # the file the same way: target -> order (None: not decided yet) ...
    date_orders: dict[str, str] | None = None
    # ... target -> a value that shows the order (for the message of a row that contradicts
    # it), and what the person should know about how dates were read.
    date_examples: dict[str, str] = field(default_factory=dict)
    date_notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ColumnMapping:
        return cls(**data)

    def order_of(self, target: str) -> str:
        """The day/month order of a date target's 'a/b/YYYY' values."""
        if self.date_orders and target in self.date_orders:
            return self.date_orders[target]
        return self.date_order or MDY

    @property
    def mapped(self) -> dict[str, list[int]]:
        """target -> the column indexes that fill it (several columns may fill one target; the
        first non-empty value wins, e.g. Pipedrive's work and home email columns)."""
        result: dict[str, list[int]] = {}
        for index, target in enumerate(self.targets):
            if not target.startswith(CUSTOM_PREFIX) and target != IGNORED:
                result.setdefault(target, []).append(index)
        return result

    @property
    def custom_columns(self) -> list[tuple[int, str]]:
        return [
            (i, t.removeprefix(CUSTOM_PREFIX))
            for i, t in enumerate(self.targets)
            if t.startswith(CUSTOM_PREFIX)
        ]

    def describe(self) -> list[tuple[str, str]]:
        labels = {t.name: t.label for t in TARGETS[self.record_type]}
        return [
            (column, labels.get(target, f"custom field '{target.removeprefix(CUSTOM_PREFIX)}'"))
            for column, target in zip(self.header, self.targets, strict=True)
        ]


def _generic_target(record_type: str, header: str) -> str | None:
    key = header_key(header)
    for target in TARGETS[record_type]:
        if key in {header_key(a) for a in target.aliases}:
            return target.name
    return None


def _column_target(
    record_type: str,
    column: str,
    preset: Preset | None,
    overrides: dict[str, str],
    valid: set[str],
) -> str:
    target = overrides.get(header_key(column))
    if target is None and preset is not None:
        target = preset.column_target(record_type, column)
    if target is None:
        target = _generic_target(record_type, column)
    if not target:
        return CUSTOM_PREFIX + column
    if not target.startswith(CUSTOM_PREFIX) and target not in valid:
        raise MappingProblem(
            f"Column '{column}' is mapped to '{target}', which {record_type} do not have "
            f"(choose from: {', '.join(sorted(valid))})."
        )
    return target


def propose_mapping(
    record_type: str,
    header: list[str],
    *,
    preset: str | None = None,
    overrides: dict[str, str] | None = None,
    value_maps: dict[str, dict[str, str]] | None = None,
    date_order: str | None = None,
) -> ColumnMapping:
    """Map each column: an explicit override first, then the preset (named, or chosen from the
    header), then generic header names; anything left is kept as a custom field. `date_order`
    ("dmy" or "mdy") states the order of day and month in the file's 'a/b/YYYY' dates."""
    if record_type not in TARGETS:
        raise MappingProblem(f"Unknown record type '{record_type}'.")
    if date_order and date_order not in DATE_ORDERS:
        raise MappingProblem(
            f"Unknown date order '{date_order}' (use dmy for D/M/YYYY or mdy for M/D/YYYY)."
        )
    chosen: Preset | None
    if preset:
        if preset not in PRESETS:
            raise MappingProblem(
                f"Unknown mapping preset '{preset}' (known: {', '.join(PRESETS)})."
            )
        chosen = PRESETS[preset]
    else:
        chosen = choose_preset(header, record_type)
    overrides = {header_key(k): v for k, v in (overrides or {}).items()}
    valid = target_names(record_type)
    targets = [_column_target(record_type, c, chosen, overrides, valid) for c in header]
    maps: dict[str, dict[str, str]] = {}
    if chosen is not None:
        for target in set(targets):
            if table := chosen.value_map(target):
                maps[target] = table
    for target, table in (value_maps or {}).items():
        maps.setdefault(target, {}).update({header_key(k): v for k, v in table.items()})
    declared = chosen.day_first if chosen else None
    return ColumnMapping(
        record_type=record_type,
        header=header,
        targets=targets,
        preset=chosen.name if chosen else "",
        value_maps=maps,
        date_order=date_order or ("" if declared is None else DMY if declared else MDY),
    )
