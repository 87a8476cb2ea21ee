"""A conclusion is final: concluding again is a conflict that says when and how the experiment
was concluded, and what defines the test (hypothesis, metrics, plan, variants) can no longer
change — only the name and the owners. The learnings log keeps what was recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from accord.core.errors import Conflict
from accord.experiments import services
from accord.experiments.models import Experiment, Learning
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Workspace
from tests.api.conftest import Api, make_token

pytestmark = pytest.mark.django_db

CONCLUDED_AT = dt.datetime(2026, 10, 2, 15, 30, tzinfo=dt.UTC)
LOSS = {
    "outcome": "lost",
    "decision": "Keep the long form",
    "result": "MQL rate 9.8 % against 11.2 %",
    "learned": "Short forms bring unqualified leads.",
}
WIN = {**LOSS, "outcome": "won", "decision": "Ship the short form"}
SAME_VARIANTS = [
    {"key": "long", "name": "Long", "is_control": True},
    {"key": "short", "name": "Short"},
]


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def maya(member_factory: Any) -> Membership:
    membership: Membership = member_factory("marketer", email="maya@acme.example")
    membership.user.full_name = "Maya Lin"
    membership.user.save()
    return membership


@pytest.fixture
def concluded(maya: Membership) -> Experiment:
    """Started, then concluded as a loss by Maya on 2 October 2026 at 15:30 UTC."""
    actor = Actor.for_membership(maya, Source.WEB)
    draft = services.experiment_create(actor=actor, values={
        "key": "short-form", "name": "Short form", "hypothesis": "A shorter form brings more MQLs.",
        "subject": "landing_page", "primary_metric": "mql_rate", "guardrails": ["sql_rate"],
        "planned_sample_size": 500, "variants": SAME_VARIANTS,
    })  # fmt: skip
    services.experiment_start(actor=actor, experiment_id=draft.pk)
    with time_machine.travel(CONCLUDED_AT, tick=False):
        services.experiment_conclude(actor=actor, experiment_id=draft.pk, values=LOSS)
    draft.refresh_from_db()
    return draft


WHEN_AND_HOW = (
    "The experiment was concluded on 2026-10-02 15:30 UTC by Maya Lin: lost — Keep the long form."
)


def test_concluding_again_is_a_conflict_and_keeps_the_learning(
    workspace: Workspace, member_factory: Any, concluded: Experiment
) -> None:
    boss = Actor.for_membership(member_factory("manager", email="boss@acme.example"), Source.WEB)
    with pytest.raises(Conflict) as caught:
        services.experiment_conclude(actor=boss, experiment_id=concluded.pk, values=WIN)
    assert caught.value.message == f"{WHEN_AND_HOW} A conclusion is final."
    learning = Learning.objects.for_workspace(workspace).get()
    assert (learning.outcome, learning.decision, learning.recorded_by.display_name) == (
        "lost",
        "Keep the long form",
        "Maya Lin",
    )
    assert learning.created_at == CONCLUDED_AT


def test_what_was_tested_is_final_once_concluded_but_name_and_owners_may_change(
    workspace: Workspace, maya: Membership, member_factory: Any, concluded: Experiment
) -> None:
    actor = Actor.for_membership(maya, Source.WEB)
    sam = member_factory("sales_rep", email="sam@acme.example")
    for values, fields in (
        ({"primary_metric": "sql_rate", "guardrails": []}, ["guardrails", "primary_metric"]),
        ({"guardrails": ["won_rate"]}, ["guardrails"]),
        ({"hypothesis": "Something else."}, ["hypothesis"]),
        ({"subject": "offer", "name": "Renamed"}, ["subject"]),
        ({"planned_sample_size": 900, "planned_days": 30}, ["planned_days", "planned_sample_size"]),
        ({"variants": SAME_VARIANTS}, ["variants"]),
    ):
        with pytest.raises(Conflict) as caught:
            services.experiment_update(actor=actor, experiment_id=concluded.pk, values=values)
        assert sorted(caught.value.fields) == fields, values
        assert caught.value.message == (
            f"{WHEN_AND_HOW} What was tested is final ({', '.join(fields).replace('_', ' ')}); "
            "only the name and the owners may still change."
        )
    stored = Experiment.objects.for_workspace(workspace).get()
    assert (stored.name, stored.primary_metric, stored.guardrails, stored.hypothesis) == (
        "Short form",
        "mql_rate",
        ["sql_rate"],
        "A shorter form brings more MQLs.",
    )
    assert (stored.subject, stored.planned_sample_size, stored.metric_changes) == (
        "landing_page",
        500,
        [],
    )

    # The label and the owners are not what was tested; an unchanged value changes nothing.
    changed = services.experiment_update(
        actor=actor,
        experiment_id=concluded.pk,
        values={"name": "Short form (2026)", "sales_owner_id": sam.user_id,
                "marketing_owner_id": maya.user_id, "primary_metric": "mql_rate"},
    )  # fmt: skip
    assert (changed.name, changed.sales_owner_id, changed.marketing_owner_id) == (
        "Short form (2026)",
        sam.user_id,
        maya.user_id,
    )
    assert changed.metric_changes == [] and changed.status == "concluded"


def test_the_api_answers_409_and_the_learnings_log_is_unchanged(
    workspace: Workspace, maya: Membership, concluded: Experiment
) -> None:
    api = Api(make_token(maya)[1])
    again = api.post("/experiments/short-form/conclude", WIN)
    assert again.status == 409, again.body
    assert again.error["code"] == "conflict"
    assert again.error["message"] == f"{WHEN_AND_HOW} A conclusion is final."
    metric = api.patch("/experiments/short-form", {"primary_metric": "won_rate"})
    assert metric.status == 409 and list(metric.fields) == ["primary_metric"]
    assert api.patch("/experiments/short-form", {"name": "Short form, final"}).status == 200
    log = api.get("/experiments-learnings").body
    learnings = [(e["key"], e["learning"]["outcome"], e["learning"]["decision"])
                 for e in log["experiments"]]  # fmt: skip
    assert learnings == [("short-form", "lost", "Keep the long form")]
    assert log["quarters"][0]["lost"] == 1 and log["quarters"][0]["won"] == 0
