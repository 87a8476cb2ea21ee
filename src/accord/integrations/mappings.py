"""Saved column mappings: a workspace's own mapping for files no preset recognises.

A saved mapping names, per header, the target that column fills (a target of its record type,
or ``custom:<name>`` / ``""`` to keep it as a custom field), plus optional value maps
(target -> {their value: ours}). Choosing it for an import makes its columns the mapping's
overrides and its value maps the import's value maps.

Writes go through `saved_mapping_create`, `saved_mapping_update` and `saved_mapping_delete`;
`mapping_choice` turns the name a person picked (a preset or a saved mapping) into the
arguments of `importing.jobs.preview` / `import_create`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.models import Workspace
from accord.identity.permissions import Action
from accord.integrations.importing.mapping import CUSTOM_PREFIX
from accord.integrations.importing.presets import PRESETS
from accord.integrations.importing.targets import RECORD_TYPES, target_names
from accord.integrations.models import SavedMapping

NAME_MAX = 120
_NAME_TAKEN = "Another saved mapping of this workspace has this name."
MAX_COLUMNS = 1_000


# Reads ---------------------------------------------------------------------------------------


def saved_mapping_list(workspace: Workspace | int) -> QuerySet[SavedMapping]:
    return SavedMapping.objects.for_workspace(workspace).order_by("name", "pk")


def saved_mapping_get(workspace: Workspace | int, mapping_id: int) -> SavedMapping:
    found = SavedMapping.objects.for_workspace(workspace).filter(pk=mapping_id).first()
    if found is None:
        raise NotFound(f"No saved mapping {mapping_id} in this workspace.")
    return found


def saved_mapping_named(workspace: Workspace | int, name: str) -> SavedMapping | None:
    return SavedMapping.objects.for_workspace(workspace).filter(name=name.strip()).first()


@dataclass(frozen=True)
class MappingChoice:
    """What a chosen mapping contributes to an import."""

    preset: str | None = None
    overrides: dict[str, str] | None = None
    value_maps: dict[str, dict[str, str]] | None = None
    saved: SavedMapping | None = None

    @property
    def label(self) -> str:
        if self.saved is not None:
            return f"saved mapping '{self.saved.name}'"
        return self.preset or ""


def mapping_choice(workspace: Workspace | int, name: str | None, record_type: str) -> MappingChoice:
    """A preset name, a saved mapping's name, or nothing (detect the preset from the header)."""
    name = (name or "").strip()
    if not name:
        return MappingChoice()
    if name in PRESETS:
        return MappingChoice(preset=name)
    saved = saved_mapping_named(workspace, name)
    if saved is None:
        raise ValidationFailed.single(
            "mapping",
            f"'{name}' is neither a preset ({', '.join(PRESETS)}) nor a saved mapping of this "
            "workspace.",
        )
    if saved.record_type != record_type:
        raise ValidationFailed.single(
            "mapping",
            f"The saved mapping '{saved.name}' is for {saved.record_type}, not {record_type}.",
        )
    return MappingChoice(
        overrides=dict(saved.columns), value_maps=dict(saved.value_maps or {}), saved=saved
    )


# Validation ----------------------------------------------------------------------------------


def _clean_name(raw: Any, errors: dict[str, list[str]]) -> str:
    name = raw.strip() if isinstance(raw, str) else ""
    if not name:
        errors["name"] = ["Give the mapping a name."]
    elif len(name) > NAME_MAX:
        errors["name"] = [f"Use at most {NAME_MAX} characters."]
    elif name.lower() in PRESETS:
        errors["name"] = [f"'{name}' is the name of a preset; choose another name."]
    return name


def _clean_record_type(raw: Any, errors: dict[str, list[str]]) -> str:
    if raw not in RECORD_TYPES:
        errors["record_type"] = [f"Use one of {', '.join(RECORD_TYPES)}."]
        return ""
    return str(raw)


def _clean_columns(raw: Any, record_type: str, errors: dict[str, list[str]]) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw:
        errors["columns"] = ["Map at least one column: an object of header -> target."]
        return {}
    if len(raw) > MAX_COLUMNS:
        errors["columns"] = [f"A mapping has at most {MAX_COLUMNS} columns."]
        return {}
    valid = target_names(record_type) if record_type else set()
    columns: dict[str, str] = {}
    problems: list[str] = []
    for header, raw_target in raw.items():
        column = str(header).strip()
        if not column or not isinstance(raw_target, str):
            problems.append(f"'{header}': give each column a target name.")
            continue
        target = raw_target.strip()
        if target and not target.startswith(CUSTOM_PREFIX) and target not in valid:
            problems.append(
                f"'{column}' -> '{target}': {record_type or 'this record type'} have no such "
                f"field (choose from: {', '.join(sorted(valid))}, or custom:<name>)."
            )
            continue
        columns[column] = target
    if problems:
        errors["columns"] = problems
    return columns


def _clean_value_maps(
    raw: Any, record_type: str, errors: dict[str, list[str]]
) -> dict[str, dict[str, str]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors["value_maps"] = ["Expected an object of target -> {their value: our value}."]
        return {}
    valid = target_names(record_type) if record_type else set()
    maps: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    for target, table in raw.items():
        if target not in valid:
            problems.append(f"'{target}' is not a field of {record_type or 'this record type'}.")
        elif not isinstance(table, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in table.items()
        ):
            problems.append(f"'{target}': expected an object of text -> text.")
        else:
            maps[target] = dict(table)
    if problems:
        errors["value_maps"] = problems
    return maps


def _save(mapping: SavedMapping) -> SavedMapping:
    try:
        with transaction.atomic():
            mapping.save()
    except IntegrityError:
        raise Conflict(
            f"A saved mapping named '{mapping.name}' already exists in this workspace.",
            fields={"name": [_NAME_TAKEN]},
        ) from None
    return mapping


# Writes --------------------------------------------------------------------------------------


def saved_mapping_create(
    *,
    actor: Actor,
    name: str,
    record_type: str,
    columns: dict[str, str],
    value_maps: dict[str, dict[str, str]] | None = None,
) -> SavedMapping:
    actor.require(Action.WRITE_RECORDS)
    errors: dict[str, list[str]] = {}
    clean_name = _clean_name(name, errors)
    clean_type = _clean_record_type(record_type, errors)
    clean_columns = _clean_columns(columns, clean_type, errors)
    clean_maps = _clean_value_maps(value_maps, clean_type, errors)
    if errors:
        raise ValidationFailed("The mapping is invalid.", fields=errors)
    if saved_mapping_named(actor.workspace, clean_name) is not None:
        raise Conflict(
            f"A saved mapping named '{clean_name}' already exists in this workspace.",
            fields={"name": [_NAME_TAKEN]},
        )
    return _save(
        SavedMapping(
            workspace=actor.workspace,
            name=clean_name,
            record_type=clean_type,
            columns=clean_columns,
            value_maps=clean_maps,
        )
    )


_UNSET: Any = object()


def saved_mapping_update(
    *,
    actor: Actor,
    mapping_id: int,
    name: str = _UNSET,
    record_type: str = _UNSET,
    columns: dict[str, str] = _UNSET,
    value_maps: dict[str, dict[str, str]] | None = _UNSET,
) -> SavedMapping:
    """Change the given fields; the whole mapping is validated again (a new record type must
    fit the columns it keeps)."""
    actor.require(Action.WRITE_RECORDS)
    mapping = saved_mapping_get(actor.workspace, mapping_id)
    errors: dict[str, list[str]] = {}
    new_name = _clean_name(mapping.name if name is _UNSET else name, errors)
    new_type = _clean_record_type(
        mapping.record_type if record_type is _UNSET else record_type, errors
    )
    new_columns = _clean_columns(
        mapping.columns if columns is _UNSET else columns, new_type, errors
    )
    new_maps = _clean_value_maps(
        mapping.value_maps if value_maps is _UNSET else value_maps, new_type, errors
    )
    if errors:
        raise ValidationFailed("The mapping is invalid.", fields=errors)
    other = saved_mapping_named(actor.workspace, new_name)
    if other is not None and other.pk != mapping.pk:
        raise Conflict(
            f"A saved mapping named '{new_name}' already exists in this workspace.",
            fields={"name": [_NAME_TAKEN]},
        )
    mapping.name, mapping.record_type = new_name, new_type
    mapping.columns, mapping.value_maps = new_columns, new_maps
    return _save(mapping)


def saved_mapping_delete(*, actor: Actor, mapping_id: int) -> None:
    actor.require(Action.WRITE_RECORDS)
    mapping = saved_mapping_get(actor.workspace, mapping_id)
    with transaction.atomic():
        gone = SavedMapping.objects.for_workspace(actor.workspace).filter(pk=mapping.pk)
        if gone.delete()[0]:
            before = audit.snapshot(mapping, ["name", "record_type", "columns", "value_maps"])
            audit.record(actor, "saved_mapping.deleted", mapping, before=before)
