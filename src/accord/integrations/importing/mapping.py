"""Column mappings: which file column fills which Accord target, and how values translate."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from accord.integrations.importing.presets import PRESETS, Preset, choose_preset
from accord.integrations.importing.targets import TARGETS, header_key, target_names

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
    day_first: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ColumnMapping:
        return cls(**data)

    @property
    def mapped(self) -> dict[str, list[int]]:
        """target -> the column indexes that fill it (several columns may fill one target; the
        first non-empty value wins, e.g. Pipedrive's work and home email columns)."""
        result: dict[str, list[int]] = {}
        for index, target in enumerate(self.targets):
            if not target.startswith(CUSTOM_PREFIX):
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
) -> ColumnMapping:
    """Map each column: an explicit override first, then the preset (named, or chosen from the
    header), then generic header names; anything left is kept as a custom field."""
    if record_type not in TARGETS:
        raise MappingProblem(f"Unknown record type '{record_type}'.")
    chosen: Preset | None
    if preset:
        if preset not in PRESETS:
            raise MappingProblem(
                f"Unknown mapping preset '{preset}' (known: {', '.join(PRESETS)})."
            )
        chosen = PRESETS[preset]
    else:
        chosen = choose_preset(header)
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
    return ColumnMapping(
        record_type=record_type,
        header=header,
        targets=targets,
        preset=chosen.name if chosen else "",
        value_maps=maps,
        day_first=chosen.day_first if chosen else False,
    )
