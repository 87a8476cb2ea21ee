"""Lifecycle stage labels for badges and filters, read once per request."""

from __future__ import annotations

from dataclasses import dataclass

from accord.crm.labels import short_label
from accord.crm.models import LifecycleStage
from accord.crm.selectors import lifecycle_stages
from accord.identity.models import Workspace


@dataclass(frozen=True)
class StageCatalogue:
    stages: list[LifecycleStage]

    @classmethod
    def of(cls, workspace: Workspace) -> StageCatalogue:
        return cls(stages=list(lifecycle_stages(workspace)))

    @property
    def labels(self) -> dict[str, str]:
        """Stage key -> short label, for badges."""
        return {s.key: short_label(s.label) for s in self.stages}

    @property
    def keys(self) -> list[str]:
        return [s.key for s in self.stages]
