"""When the marketing tool says a contact was assigned: never before the experiment started
(the contact would be credited with what it did before joining) nor in the future (it would
sit in the denominator, unable to convert). A batch with such a time writes nothing and names
each row's field; the service and the API agree."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from accord.core.errors import ValidationFailed
from accord.crm.services.contacts import contact_create
from accord.experiments import services
from accord.experiments.models import Assignment, Experiment
from accord.identity.actor import Actor, Source
from accord.identity.models import Workspace
from tests.api.conftest import Api, make_token

pytestmark = pytest.mark.django_db

STARTED = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 9, 15, 12, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def maya(member_factory: Any) -> Actor:
    return Actor.for_membership(member_factory("marketer", email="maya@acme.example"), Source.API)


@pytest.fixture
def experiment(maya: Actor) -> Experiment:
    """A recorded experiment started on 1 June 2026; the tests run on 15 September."""
    draft = services.experiment_create(actor=maya, values={
        "key": "pricing-page", "name": "Pricing page", "hypothesis": "Prices up front help.",
        "subject": "landing_page", "primary_metric": "mql_rate", "assignment": "recorded",
        "variants": [{"key": "a", "name": "A", "is_control": True}, {"key": "b", "name": "B"}],
    })  # fmt: skip
    with time_machine.travel(STARTED, tick=False):
        return services.experiment_start(actor=maya, experiment_id=draft.pk)


def people(actor: Actor, *names: str) -> list[int]:
    return [contact_create(actor=actor, values={"email": f"{n}@x.example"}).pk for n in names]


def test_a_time_before_the_start_or_in_the_future_refuses_the_whole_batch(
    workspace: Workspace, maya: Actor, actor: Actor, experiment: Experiment
) -> None:
    ana, bob, cy, dan = people(actor, "ana", "bob", "cy", "dan")
    rows = [
        {"contact_id": ana, "variant": "a", "assigned_at": "2026-07-01T10:00:00Z"},  # fine
        {"contact_id": bob, "variant": "a", "assigned_at": "2020-03-01T10:00:00Z"},
        {"contact_id": cy, "variant": "b", "assigned_at": "2099-01-01T00:00:00Z"},
        {"contact_id": dan, "variant": "b", "assigned_at": STARTED - dt.timedelta(seconds=1)},
    ]
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationFailed) as caught:
        services.record_assignments(actor=maya, experiment_id=experiment.pk, rows=rows)
    assert caught.value.message.startswith("Nothing was recorded")
    assert caught.value.fields == {
        "1.assigned_at": [
            "2020-03-01T10:00:00+00:00 is before the experiment started "
            "(2026-06-01T09:00:00+00:00): a contact joins it after the start."
        ],
        "2.assigned_at": [
            "2099-01-01T00:00:00+00:00 is in the future (now is 2026-09-15T12:00:00+00:00): "
            "send when the contact was assigned."
        ],
        "3.assigned_at": [
            "2026-06-01T08:59:59+00:00 is before the experiment started "
            "(2026-06-01T09:00:00+00:00): a contact joins it after the start."
        ],
    }
    assert not Assignment.objects.for_workspace(workspace).exists()


def test_the_start_itself_and_a_few_minutes_of_clock_skew_are_accepted(
    workspace: Workspace, maya: Actor, actor: Actor, experiment: Experiment
) -> None:
    ana, bob, cy = people(actor, "ana", "bob", "cy")
    rows = [
        {"contact_id": ana, "variant": "a", "assigned_at": STARTED.isoformat()},
        {"contact_id": bob, "variant": "b", "assigned_at": NOW + dt.timedelta(minutes=4)},
        {"contact_id": cy, "variant": "b"},  # no time: now
    ]
    with time_machine.travel(NOW, tick=False):
        reply = services.record_assignments(actor=maya, experiment_id=experiment.pk, rows=rows)
    assert reply == {"recorded": 3, "unchanged": 0}
    stored = dict(
        Assignment.objects.for_workspace(workspace).values_list("contact_id", "assigned_at")
    )
    assert stored == {ana: STARTED, bob: NOW + dt.timedelta(minutes=4), cy: NOW}
    # Six minutes ahead is beyond the skew allowed.
    (dan,) = people(actor, "dan")
    late = [{"contact_id": dan, "variant": "a", "assigned_at": NOW + dt.timedelta(minutes=6)}]
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationFailed) as caught:
        services.record_assignments(actor=maya, experiment_id=experiment.pk, rows=late)
    assert list(caught.value.fields) == ["0.assigned_at"]
    assert Assignment.objects.for_workspace(workspace).count() == 3


def test_the_api_answers_400_naming_each_row(
    workspace: Workspace, member_factory: Any, actor: Actor, experiment: Experiment
) -> None:
    api = Api(make_token(member_factory("sales_rep", email="sam@acme.example"))[1])
    ana, bob = people(actor, "ana", "bob")
    body = {"assignments": [
        {"contact_id": ana, "variant": "a", "assigned_at": "2020-03-01T10:00:00Z"},
        {"contact_id": bob, "variant": "b", "assigned_at": "2099-01-01T00:00:00Z"},
    ]}  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        reply = api.post("/experiments/pricing-page/assignments", body)
    assert reply.status == 400, reply.body
    assert reply.error["code"] == "validation_error"
    assert set(reply.fields) == {"0.assigned_at", "1.assigned_at"}
    assert "before the experiment started" in reply.fields["0.assigned_at"][0]
    assert "in the future" in reply.fields["1.assigned_at"][0]
    assert not Assignment.objects.for_workspace(workspace).exists()
    body["assignments"][0]["assigned_at"] = "2026-06-02T10:00:00Z"
    body["assignments"][1]["assigned_at"] = "2026-09-15T11:00:00+00:00"
    with time_machine.travel(NOW, tick=False):
        reply = api.post("/experiments/pricing-page/assignments", body)
    assert reply.status == 200 and reply.body == {"recorded": 2, "unchanged": 0}
