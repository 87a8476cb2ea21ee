"""Writing the audit log: one `record` call in a service, inside the service's transaction,
for every change to the rules both teams agreed on, to who may do what, and for imports,
exports and deletions. A change that rolls back takes its entry with it.

`before` and `after` hold JSON: the changed fields only for an update (`changes`), every
field named for a creation or a deletion (`snapshot`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from accord.core import data_version
from accord.identity.actor import Actor
from accord.identity.audit_models import AuditEntry

__all__ = ["AuditEntry", "changes", "record", "snapshot"]


class _Encoder(DjangoJSONEncoder):
    """Django's encoder, but times keep their microseconds (it cuts them to milliseconds)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


def _json(value: Any) -> Any:
    """Plain JSON: dates and times as ISO text, decimals as text, model instances as their id."""
    if isinstance(value, models.Model):
        return value.pk
    return json.loads(json.dumps(value, cls=_Encoder))


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of `obj` as JSON (a foreign key `team` is stored as `team_id`)."""
    values: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if isinstance(field, models.ForeignKey):
            values[field.attname] = getattr(obj, field.attname)
        else:
            values[name] = _json(getattr(obj, name))
    return values


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose value differs, as (before, after)."""
    keys = [k for k in after if before.get(k) != after[k]]
    keys += [k for k in before if k not in after]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


# Entries that change no record or rule: they leave cached results as they are.
READS_ONLY = ("auth.", "export.", "audit.exported", "contact.personal_data_exported")


def record(
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    *,
    object_type: str = "",
    object_id: object = "",
    label: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    note: str = "",
) -> AuditEntry:
    """Append one entry: `action` is a dotted name such as `definition.approved`; `obj` names
    the object changed (or give `object_type`/`object_id`/`label` for something that is not a
    single row). Must run inside the transaction of the change it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction of the change.")
    if not action.startswith(READS_ONLY):
        data_version.bump(actor.workspace.pk)  # rules and settings change what is computed
    if obj is not None:
        object_type = object_type or str(obj._meta.verbose_name)
        object_id = object_id or obj.pk
        label = label or str(obj)
    return AuditEntry.objects.create(
        workspace=actor.workspace,
        user=actor.user,
        actor_label=actor.label[:200],
        source=actor.source.value,
        remote_addr=actor.ip or None,
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        object_label=label[:200],
        before=_json(dict(before)) if before is not None else None,
        after=_json(dict(after)) if after is not None else None,
        note=note[:500],
    )


def entries_of_deleted_workspaces_delete() -> int:
    """Remove the entries left behind by a workspace deleted with foreign-key enforcement off
    (SQLite's fast path for a large demo). The database allows it only because their workspace
    is gone; any other delete is refused."""
    from accord.identity.models import Workspace

    deleted, _ = (
        AuditEntry.objects.across_workspaces()
        .exclude(workspace_id__in=Workspace.objects.values("pk"))
        .delete()
    )
    return deleted


def all_fields(obj: models.Model, *, leave_out: Iterable[str] = ()) -> dict[str, Any]:
    """Every stored field of `obj` but its id and workspace (and `leave_out`): the before of a
    deletion, the after of a creation."""
    skip = {"id", "workspace", *leave_out}
    names = [f.name for f in obj._meta.concrete_fields if f.name not in skip and not f.primary_key]
    return snapshot(obj, names)
