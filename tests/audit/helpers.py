"""Reading back what the services wrote to the audit log, oldest first."""

from __future__ import annotations

from typing import Any

from accord.identity.audit import AuditEntry
from accord.identity.models import Workspace


def logged(workspace: Workspace, prefix: str = "") -> list[dict[str, Any]]:
    entries = AuditEntry.objects.for_workspace(workspace).order_by("id")
    if prefix:
        entries = entries.filter(action__startswith=prefix)
    return [
        {
            "action": e.action,
            "who": e.actor_label,
            "user_id": e.user_id,
            "source": e.source,
            "object": (e.object_type, e.object_id, e.object_label),
            "before": e.before,
            "after": e.after,
            "note": e.note,
        }
        for e in entries
    ]


def actions(workspace: Workspace, prefix: str = "") -> list[str]:
    return [e["action"] for e in logged(workspace, prefix)]
