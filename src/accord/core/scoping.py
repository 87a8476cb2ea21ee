"""Workspace scoping that fails closed.

Every workspace-owned model uses `WorkspaceManager` as `objects`. A queryset from it refuses to
run (raises `UnscopedQueryError`) until it has been narrowed to a workspace, either with
`.for_workspace(ws)` or with a `filter(workspace=...)`-style lookup. Related managers reached
from an instance (``company.contacts.all()``) are scoped through their parent, which was itself
loaded from a scoped query. The explicit escape hatch for system jobs that span workspaces is
`.across_workspaces()`: its name makes every use visible in review.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Self

from django.db import models
from django.db.models import F

from accord.core.errors import UnscopedQueryError

if TYPE_CHECKING:
    from accord.identity.models import Workspace

SCOPE_LOOKUPS = frozenset({"workspace", "workspace_id", "workspace__id", "workspace__in"})


class WorkspaceQuerySet[M: models.Model](models.QuerySet[M]):
    _workspace_scoped: bool = False

    def for_workspace(self, workspace: Workspace | int) -> Self:
        workspace_id = workspace if isinstance(workspace, int) else workspace.pk
        if workspace_id is None:
            raise UnscopedQueryError("for_workspace() needs a saved workspace")
        return self.filter(workspace_id=workspace_id)

    def for_workspace_by_other_key(self, workspace: Workspace | int) -> Self:
        """As `for_workspace`, for a query another, narrower key selects (touchpoints of given
        contacts): the workspace test is written so that no index serves it. SQLite, with no
        statistics, would otherwise read the workspace's whole index — every touchpoint of a
        10-million-touchpoint workspace for a few thousand contacts, 16 s instead of 0.3 s."""
        workspace_id = workspace if isinstance(workspace, int) else workspace.pk
        if workspace_id is None:
            raise UnscopedQueryError("for_workspace_by_other_key() needs a saved workspace")
        clone = self.alias(_scope_workspace=F("workspace_id") + 0).filter(
            _scope_workspace=workspace_id
        )
        clone._workspace_scoped = True
        return clone

    def across_workspaces(self) -> Self:
        clone = self._chain()  # type: ignore[attr-defined]
        clone._workspace_scoped = True
        return clone

    # Scope tracking -----------------------------------------------------------------------
    def _clone(self) -> Self:
        clone = super()._clone()  # type: ignore[misc]
        clone._workspace_scoped = self._workspace_scoped
        return clone

    def _filter_or_exclude(self, negate: bool, args: Any, kwargs: Any) -> Self:
        clone = super()._filter_or_exclude(negate, args, kwargs)  # type: ignore[misc]
        if not negate and SCOPE_LOOKUPS.intersection(kwargs):
            clone._workspace_scoped = True
        return clone

    def _require_scope(self) -> None:
        hints: dict[str, Any] = self._hints  # type: ignore[attr-defined]
        if self._workspace_scoped or hints.get("instance") is not None:
            return
        raise UnscopedQueryError(
            f"{self.model.__name__} query without a workspace: use .for_workspace(workspace)"
        )

    # Every way a queryset reaches the database --------------------------------------------
    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._require_scope()
        super()._fetch_all()

    def iterator(self, chunk_size: int | None = None) -> Iterator[M]:
        self._require_scope()
        return super().iterator(chunk_size=chunk_size)

    def count(self) -> int:
        if self._result_cache is None:
            self._require_scope()
        return super().count()

    def exists(self) -> bool:
        if self._result_cache is None:
            self._require_scope()
        return super().exists()

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._require_scope()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        self._require_scope()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._require_scope()
        return super().delete()


class WorkspaceManager[M: models.Model](models.Manager[M]):
    def get_queryset(self) -> WorkspaceQuerySet[M]:
        return WorkspaceQuerySet(self.model, using=self._db, hints=self._hints)  # type: ignore[attr-defined]

    def for_workspace(self, workspace: Workspace | int) -> WorkspaceQuerySet[M]:
        return self.get_queryset().for_workspace(workspace)

    def for_workspace_by_other_key(self, workspace: Workspace | int) -> WorkspaceQuerySet[M]:
        return self.get_queryset().for_workspace_by_other_key(workspace)

    def across_workspaces(self) -> WorkspaceQuerySet[M]:
        return self.get_queryset().across_workspaces()
