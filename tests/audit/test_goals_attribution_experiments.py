"""Goals, the attribution settings and an experiment's lifecycle in the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accord.attribution import services as attribution
from accord.core.errors import Conflict, ValidationFailed
from accord.experiments import services as experiments
from accord.metrics import goals
from tests.audit.helpers import logged

pytestmark = pytest.mark.django_db


def test_goals_set_changed_and_deleted(workspace: Any, actor: Any) -> None:
    start = dt.date.today().replace(day=1)
    values = {"period": "month", "period_start": start.isoformat(), "revenue": "100000"}
    goal = goals.goal_set(actor=actor, values=values)
    goals.goal_set(actor=actor, values={**values, "revenue": "120000", "note": "stretch"})
    goals.goal_set(actor=actor, values={**values, "revenue": "120000", "note": "stretch"})
    with pytest.raises(ValidationFailed):
        goals.goal_set(actor=actor, values={**values, "revenue": "-5"})
    goals.goal_delete(actor=actor, goal_id=goal.pk)
    entries = logged(workspace)
    assert [e["action"] for e in entries] == ["goal.created", "goal.changed", "goal.deleted"]
    assert entries[0]["after"] == {
        "period": "month",
        "period_start": start.isoformat(),
        "segment": "",
        "revenue": "100000.00",
        "lookback_days": 365,
        "channels": [],
        "note": "",
    }
    assert (entries[1]["before"], entries[1]["after"]) == (
        {"revenue": "100000.00", "note": ""},
        {"revenue": "120000.00", "note": "stretch"},
    )
    assert entries[2]["before"]["revenue"] == "120000.00"


def test_attribution_settings_changes(workspace: Any, actor: Any) -> None:
    attribution.settings_update(actor=actor, values={"model": "linear", "lookback_days": 180})
    attribution.settings_update(actor=actor, values={"model": "linear", "lookback_days": 180})
    with pytest.raises(ValidationFailed):
        attribution.settings_update(actor=actor, values={"model": "guesswork"})
    [entry] = logged(workspace)
    assert (entry["action"], entry["object"][2]) == (
        "attribution.settings_changed",
        "attribution settings",
    )
    assert (entry["before"], entry["after"]) == (
        {"model": "w_shaped", "lookback_days": 365},
        {"model": "linear", "lookback_days": 180},
    )


EXPERIMENT = {
    "key": "pains-first",
    "name": "Pains first",
    "hypothesis": "Asking about pains first turns more SALs into SQLs.",
    "subject": "call_script",
    "primary_metric": "sql_rate",
    "assignment": "recorded",
    "variants": [
        {"key": "a", "name": "Script A", "is_control": True},
        {"key": "b", "name": "Script B"},
    ],
}
LEARNING = {"outcome": "won", "decision": "Ship B", "result": "+31 %", "learned": "Pains first"}


def test_an_experiments_lifecycle(workspace: Any, actor: Any) -> None:
    experiment = experiments.experiment_create(actor=actor, values=EXPERIMENT)
    draft = experiments.experiment_create(actor=actor, values={**EXPERIMENT, "key": "other"})
    experiments.experiment_delete(actor=actor, experiment_id=draft.pk)
    experiments.experiment_start(actor=actor, experiment_id=experiment.pk)
    with pytest.raises(Conflict):
        experiments.experiment_start(actor=actor, experiment_id=experiment.pk)
    experiments.experiment_stop(actor=actor, experiment_id=experiment.pk)
    experiments.experiment_conclude(actor=actor, experiment_id=experiment.pk, values=LEARNING)
    entries = logged(workspace)
    assert [(e["action"], e["object"][1]) for e in entries] == [
        ("experiment.deleted", str(draft.pk)),
        ("experiment.started", str(experiment.pk)),
        ("experiment.stopped", str(experiment.pk)),
        ("experiment.concluded", str(experiment.pk)),
    ]
    assert entries[0]["before"]["key"] == "other"
    assert [(e["before"], e["after"]) for e in entries[1:3]] == [
        ({"status": "draft"}, {"status": "running"}),
        ({"status": "running"}, {"status": "stopped"}),
    ]
    assert (entries[3]["before"], entries[3]["after"]) == (
        {"status": "stopped"},
        {"status": "concluded", **LEARNING},
    )


def test_survey_versions_and_index_weightings(workspace: Any, actor: Any) -> None:
    from accord.alignment import services as alignment
    from accord.alignment.behaviour_weights import COMPONENT_KEYS
    from tests.alignment.conftest import THREE_ITEMS

    version = alignment.survey_update(actor=actor, document=THREE_ITEMS, comment="short")
    alignment.survey_update(actor=actor, document=THREE_ITEMS, comment="shorter")
    with pytest.raises(ValidationFailed):
        alignment.survey_update(actor=actor, document={"items": "none"})
    weights = dict.fromkeys(COMPONENT_KEYS, 1) | {"crm_adoption": 3}
    weighting = alignment.weighting_update(actor=actor, weights=weights, comment="CRM first")
    with pytest.raises(ValidationFailed):
        alignment.weighting_update(actor=actor, weights={"nonsense": 1})
    entries = logged(workspace)
    assert [(e["action"], e["object"][1]) for e in entries] == [
        ("survey.version_created", str(version.pk)),
        ("survey.edited", str(version.pk)),
        ("index_weighting.created", str(weighting.pk)),
    ]
    assert entries[0]["after"]["number"] == version.number
    assert entries[0]["after"]["comment"] == "short"
    assert (entries[1]["before"], entries[1]["after"]) == (
        {"comment": "short"},
        {"comment": "shorter"},
    )
    assert entries[2]["after"] == {
        "number": 1,
        "weights": {k: float(v) for k, v in weights.items()},
        "comment": "CRM first",
    }
