"""Finding the pipeline stage a deal row means.

A stage cell is translated through the mapping's value map (a preset's deal stages map to the
keys of the default pipeline: qualification … closed_lost); otherwise it may name the key or
label of a stage of any pipeline of the workspace (the default pipeline is searched first, or
only the pipeline the row names; HubSpot's internal name "default" is the default pipeline).
A status column (Pipedrive's open / won / lost) moves a deal whose stage is not a closed one to
its pipeline's won or lost stage.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.crm.models import DealOutcome
from accord.crm.selectors import pipeline_stages, pipelines
from accord.identity.models import Workspace
from accord.integrations.importing.service_import import RowCheck, Translator
from accord.integrations.importing.targets import header_key
from accord.integrations.importing.vocabulary import DEAL_STATUSES


@dataclass(frozen=True)
class StageRef:
    id: int
    pipeline_id: int
    key: str
    label: str
    outcome: str

    @property
    def is_open(self) -> bool:
        return self.outcome == DealOutcome.OPEN


class StageBook:
    """The workspace's pipelines and stages, loaded once per import."""

    def __init__(self, workspace: Workspace) -> None:
        ordered = list(pipelines(workspace))  # the default pipeline first
        self.order = [p.pk for p in ordered]
        self.names = {p.pk: p.name for p in ordered}
        self.by_name = {header_key(p.name): p.pk for p in ordered}
        self.stages: dict[int, list[StageRef]] = {pk: [] for pk in self.order}
        for s in pipeline_stages(workspace):
            self.stages.setdefault(s.pipeline_id, []).append(
                StageRef(s.pk, s.pipeline_id, s.key, s.label, s.outcome)
            )
        self.by_id = {s.id: s for stages in self.stages.values() for s in stages}

    def outcome_of(self, stage_id: int | None) -> str | None:
        stage = self.by_id.get(stage_id) if stage_id is not None else None
        return stage.outcome if stage else None

    def _find(self, text: str, translated: str, pipeline_ids: list[int]) -> StageRef | None:
        for pk in pipeline_ids:
            for stage in self.stages.get(pk, []):
                if stage.key == translated:
                    return stage
        key = header_key(text)
        for pk in pipeline_ids:
            for stage in self.stages.get(pk, []):
                if key in (header_key(stage.key), header_key(stage.label)):
                    return stage
        return None

    def _closing(self, pipeline_id: int, outcome: str) -> StageRef | None:
        return next((s for s in self.stages.get(pipeline_id, []) if s.outcome == outcome), None)

    def resolve(self, check: RowCheck, translate: Translator) -> StageRef | None:
        """The stage of a row with a stage, pipeline or status cell (else None: the service
        puts the deal in the first stage of the default pipeline)."""
        pipeline_id = self._pipeline(check)
        if "pipeline" in check.failed:
            return None
        status = check.choice(
            "status", translate, ("open", "won", "lost"), vocabulary=DEAL_STATUSES, what="status"
        )
        searched = [pipeline_id] if pipeline_id is not None else self.order
        stage: StageRef | None = None
        if (text := check.get("stage")) is not None:
            stage = self._find(text, translate("stage", text), searched)
            if stage is None:
                where = (
                    f"the pipeline '{self.names[pipeline_id]}'"
                    if pipeline_id is not None
                    else "any pipeline of this workspace"
                )
                check.fail("stage", f"'{text}' is not a stage of {where}.")
                return None
        if status in (DealOutcome.WON, DealOutcome.LOST) and (stage is None or stage.is_open):
            home = stage.pipeline_id if stage else (pipeline_id or self._default())
            closing = self._closing(home, status) if home is not None else None
            if closing is None:
                check.fail("status", f"The pipeline has no {status} stage.")
                return None
            stage = closing
        if stage is None and pipeline_id is not None:
            stage = next(iter(self.stages.get(pipeline_id, [])), None)
        return stage

    def _default(self) -> int | None:
        return self.order[0] if self.order else None

    def _pipeline(self, check: RowCheck) -> int | None:
        text = check.get("pipeline")
        if text is None:
            return None
        key = header_key(text)
        pipeline_id = self._default() if key == "default" else self.by_name.get(key)
        if pipeline_id is None:
            known = ", ".join(self.names.values())
            check.fail("pipeline", f"'{text}' is not a pipeline of this workspace ({known}).")
        return pipeline_id
