"""The experiment registry's write path and reading: registering an experiment with its
variants (bad input writes nothing and names each field), the lifecycle draft -> running ->
stopped -> concluded, assignment by a stable hash (new contacts join as they come; a catch-up
fills the gaps) or as the marketing tool recorded it, exposures, and each variant's pipeline
outcomes and results on a small hand-built history."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.crm.selectors import pipeline_stages
from accord.crm.services.contacts import contact_create
from accord.crm.services.deals import deal_create
from accord.crm.services.ledger import change_stage
from accord.experiments import services
from accord.experiments.models import (
    Assignment,
    Experiment,
    Learning,
    Variant,
)
from accord.experiments.outcomes import outcomes
from accord.experiments.presentation import results_document
from accord.experiments.results import experiment_results
from accord.handoff.models import Handoff
from accord.identity.actor import Actor, Source
from accord.identity.models import Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def team(member_factory: Any) -> dict[str, Actor]:
    roles = {"maya": "marketer", "boss": "manager", "sam": "sales_rep", "vic": "viewer"}
    return {
        name: Actor.for_membership(member_factory(role, email=f"{name}@acme.example"), Source.WEB)
        for name, role in roles.items()
    }


@pytest.fixture
def maya(team: dict[str, Actor]) -> Actor:
    return team["maya"]


def spec(**changes: Any) -> dict[str, Any]:
    """A valid experiment's values, with `changes` applied (None removes a field)."""
    values: dict[str, Any] = {
        "key": "demo-cadence",
        "name": "Demo cadence",
        "hypothesis": "Calling within the hour books more meetings.",
        "subject": "follow_up_cadence",
        "primary_metric": "sql_rate",
        "guardrails": ["acceptance_rate", "revenue_per_lead"],
        "variants": [
            {"key": "today", "name": "Same day", "is_control": True},
            {"key": "hour", "name": "Within the hour"},
        ],
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def variants(*weights: int, controls: int = 1) -> list[dict[str, Any]]:
    return [
        {"key": f"v{i}", "name": f"Variant {i}", "weight": w, "is_control": i < controls}
        for i, w in enumerate(weights)
    ]


def create(actor: Actor, **changes: Any) -> Experiment:
    return services.experiment_create(actor=actor, values=spec(**changes))


def contact(actor: Actor, name: str, **values: Any) -> int:
    return contact_create(actor=actor, values={"email": f"{name}@x.example", **values}).pk


def walk_floats(value: Any) -> list[float]:
    """Every float in a JSON-like document."""
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for item in value.values() for f in walk_floats(item)]
    if isinstance(value, list | tuple):
        return [f for item in value for f in walk_floats(item)]
    return []


def assert_finite(document: dict[str, Any]) -> None:
    assert all(math.isfinite(f) for f in walk_floats(document)), document
    json.dumps(document, allow_nan=False, default=str)


# Registering ---------------------------------------------------------------------------------


def test_an_experiment_is_registered_as_a_draft_with_its_variants_and_weights(
    workspace: Workspace, team: dict[str, Actor]
) -> None:
    two = create(team["maya"], key="Demo-Cadence", guardrails="acceptance_rate, won_rate")
    assert (two.key, two.status, two.created_by) == ("demo-cadence", "draft", team["maya"].user)
    assert two.guardrails == ["acceptance_rate", "won_rate"]
    assert two.metric_changes == [] and two.started_at is None
    assert [(v.key, v.is_control, v.weight) for v in two.variants.all()] == [
        ("today", True, 1),
        ("hour", False, 1),
    ]
    three = create(
        team["boss"],
        key="offer-test",
        subject="offer",
        primary_metric="revenue_per_lead",
        guardrails=[],
        planned_sample_size="500",
        marketing_owner_id=team["maya"].user.pk,
        sales_owner_id=team["sam"].user.pk,
        variants=[
            {"key": "b", "name": "Free audit", "weight": 2},
            {"key": "a", "name": "Demo", "weight": 5, "is_control": True},
            {"key": "c", "name": "Trial", "weight": "3", "description": "14 days"},
        ],
    )
    stored = Experiment.objects.for_workspace(workspace).get(key="offer-test")
    assert (stored.planned_sample_size, stored.marketing_owner_id, stored.sales_owner_id) == (
        500,
        team["maya"].user.pk,
        team["sam"].user.pk,
    )
    # The control first, then the others as given.
    assert [(v.key, v.weight, v.is_control, v.description) for v in three.variants.all()] == [
        ("a", 5, True, ""),
        ("b", 2, False, ""),
        ("c", 3, False, "14 days"),
    ]
    assert Variant.objects.for_workspace(workspace).count() == 5


BAD_INPUT: list[tuple[dict[str, Any], set[str]]] = [
    ({"hypothesis": None}, {"hypothesis"}),
    ({"hypothesis": "   "}, {"hypothesis"}),
    ({"subject": "podcast"}, {"subject"}),
    ({"primary_metric": "clicks"}, {"primary_metric"}),
    ({"guardrails": ["clicks"]}, {"guardrails"}),
    ({"guardrails": ["won_rate", "sql_rate"]}, {"guardrails"}),  # the primary metric
    ({"variants": variants(1)}, {"variants"}),
    ({"variants": variants(*[1] * 11)}, {"variants"}),
    ({"variants": []}, {"variants"}),
    ({"variants": "a,b"}, {"variants"}),
    ({"variants": variants(1, 1, controls=0)}, {"variants"}),
    ({"variants": variants(1, 1, 1, controls=2)}, {"variants"}),
    ({"variants": [*variants(1, 1), {"key": "v1", "name": "Again"}]}, {"variants"}),
    ({"variants": variants(1, 0)}, {"variants.1.weight"}),
    ({"variants": variants(1, -2)}, {"variants.1.weight"}),
    ({"variants": [*variants(1), {"key": "B_2", "name": "B"}]}, {"variants.1.key"}),
    ({"variants": [*variants(1), {"key": "b"}]}, {"variants.1.name"}),
    ({"variants": [*variants(1), "b"]}, {"variants.1"}),
    ({"key": "Bad key!"}, {"key"}),
    ({"key": "-leading"}, {"key"}),
    ({"key": None}, {"key"}),
    ({"planned_sample_size": -5}, {"planned_sample_size"}),
    ({"marketing_owner_id": 999_999}, {"marketing_owner_id"}),
    ({"colour": "red"}, {"colour"}),
    ({"colour": "red", "subject": "podcast"}, {"colour", "subject"}),
]


def test_bad_input_writes_nothing_and_names_each_field(workspace: Workspace, maya: Actor) -> None:
    for changes, fields in BAD_INPUT:
        with pytest.raises(ValidationFailed) as caught:
            create(maya, **changes)
        assert set(caught.value.fields) == fields, (changes, caught.value.fields)
        assert all(caught.value.fields.values())
    assert not Experiment.objects.for_workspace(workspace).exists()
    assert not Variant.objects.for_workspace(workspace).exists()
    create(maya)
    with pytest.raises(ValidationFailed) as caught:
        create(maya, name="Another", key="DEMO-cadence")
    assert list(caught.value.fields) == ["key"] and "exists already" in caught.value.message
    assert Experiment.objects.for_workspace(workspace).count() == 1
    assert Variant.objects.for_workspace(workspace).count() == 2


def test_sales_reps_and_viewers_cannot_run_experiments(
    workspace: Workspace, team: dict[str, Actor], actor: Actor
) -> None:
    for who in ("sam", "vic"):
        with pytest.raises(PermissionDenied, match="run_experiments"):
            create(team[who])
    assert not Experiment.objects.for_workspace(workspace).exists()
    experiment = create(team["boss"])
    for call in (
        lambda a: services.experiment_start(actor=a, experiment_id=experiment.pk),
        lambda a: services.experiment_update(
            actor=a, experiment_id=experiment.pk, values={"name": "Mine"}
        ),
        lambda a: services.experiment_delete(actor=a, experiment_id=experiment.pk),
    ):
        with pytest.raises(PermissionDenied):
            call(team["sam"])
    assert Experiment.objects.for_workspace(workspace).get().status == "draft"
    # Marketers, managers and admins may.
    create(team["maya"], key="second")
    create(actor, key="third")
    assert Experiment.objects.for_workspace(workspace).count() == 3


def test_another_workspaces_experiment_is_not_found(
    workspace: Workspace, other_workspace: Workspace, member_factory: Any, maya: Actor
) -> None:
    theirs = services.experiment_create(
        actor=Actor.for_membership(member_factory("admin", ws=other_workspace), Source.WEB),
        values=spec(),
    )
    mine = create(maya)  # the same key in another workspace is fine
    assert mine.key == theirs.key
    for call in (
        lambda: services.experiment_start(actor=maya, experiment_id=theirs.pk),
        lambda: services.experiment_update(
            actor=maya, experiment_id=theirs.pk, values={"name": "x"}
        ),
        lambda: services.experiment_delete(actor=maya, experiment_id=theirs.pk),
    ):
        with pytest.raises(NotFound):
            call()
    assert Experiment.objects.for_workspace(other_workspace).get().status == "draft"


# Lifecycle -----------------------------------------------------------------------------------

LEARNING = {
    "outcome": "lost",
    "decision": "Keep same-day calls",
    "result": "SQL rate 21 % against 24 %",
    "learned": "Speed alone does not convince; the script matters more.",
}


def test_the_lifecycle_runs_forward_only(workspace: Workspace, maya: Actor) -> None:
    experiment = create(maya)
    pk = experiment.pk
    with pytest.raises(Conflict, match="draft has not run"):
        services.experiment_conclude(actor=maya, experiment_id=pk, values=LEARNING)
    with pytest.raises(Conflict, match="only a running one can stop"):
        services.experiment_stop(actor=maya, experiment_id=pk)
    started = services.experiment_start(actor=maya, experiment_id=pk)
    assert started.status == "running" and started.started_at is not None
    with pytest.raises(Conflict, match="only a draft can start"):
        services.experiment_start(actor=maya, experiment_id=pk)
    with pytest.raises(Conflict, match="Only a draft can be deleted"):
        services.experiment_delete(actor=maya, experiment_id=pk)
    stopped = services.experiment_stop(actor=maya, experiment_id=pk)
    assert stopped.status == "stopped" and stopped.stopped_at is not None
    with pytest.raises(Conflict):
        services.experiment_stop(actor=maya, experiment_id=pk)
    with pytest.raises(Conflict):
        services.experiment_start(actor=maya, experiment_id=pk)

    # Concluding needs every learning field, and a known outcome.
    with pytest.raises(ValidationFailed) as caught:
        services.experiment_conclude(actor=maya, experiment_id=pk, values={"outcome": "won"})
    assert set(caught.value.fields) == {"decision", "result", "learned"}
    with pytest.raises(ValidationFailed) as caught:
        services.experiment_conclude(
            actor=maya, experiment_id=pk, values={**LEARNING, "outcome": "great", "extra": 1}
        )
    assert set(caught.value.fields) == {"outcome", "extra"}
    assert not Learning.objects.for_workspace(workspace).exists()
    assert Experiment.objects.for_workspace(workspace).get().status == "stopped"

    learning = services.experiment_conclude(actor=maya, experiment_id=pk, values=LEARNING)
    assert (learning.outcome, learning.decision, learning.recorded_by) == (
        "lost",
        "Keep same-day calls",
        maya.user,
    )
    concluded = Experiment.objects.for_workspace(workspace).get()
    assert concluded.status == "concluded" and concluded.stopped_at == stopped.stopped_at
    with pytest.raises(Conflict):
        services.experiment_delete(actor=maya, experiment_id=pk)

    # A running experiment may be concluded directly: it stops then.
    running = create(maya, key="direct")
    services.experiment_start(actor=maya, experiment_id=running.pk)
    services.experiment_conclude(
        actor=maya, experiment_id=running.pk, values={**LEARNING, "outcome": "inconclusive"}
    )
    running.refresh_from_db()
    assert running.status == "concluded" and running.stopped_at is not None

    # Only a draft is deleted, with its variants.
    draft = create(maya, key="scrap")
    services.experiment_delete(actor=maya, experiment_id=draft.pk)
    assert not Experiment.objects.for_workspace(workspace).filter(key="scrap").exists()
    assert not Variant.objects.for_workspace(workspace).filter(experiment_id=draft.pk).exists()
    with pytest.raises(NotFound):
        services.experiment_delete(actor=maya, experiment_id=draft.pk)


def test_a_draft_changes_freely_but_a_bad_change_writes_nothing(
    workspace: Workspace, maya: Actor
) -> None:
    create(maya, key="taken")
    draft = create(maya)
    changed = services.experiment_update(
        actor=maya,
        experiment_id=draft.pk,
        values={"name": "Renamed", "key": "cadence-2", "variants": variants(1, 1, 2)},
    )
    assert (changed.name, changed.key, changed.metric_changes) == ("Renamed", "cadence-2", [])
    assert [v.weight for v in changed.variants.all()] == [1, 1, 2]
    services.experiment_update(
        actor=maya, experiment_id=draft.pk, values={"primary_metric": "won_rate"}
    )
    draft.refresh_from_db()
    assert draft.metric_changes == []  # a draft's metrics are not "changed after the start"

    for values, fields in (
        ({"key": "taken", "variants": variants(5, 5)}, {"key"}),
        ({"name": ""}, {"name"}),
        ({"guardrails": ["won_rate"]}, {"guardrails"}),  # the primary metric now
        ({"variants": variants(1)}, {"variants"}),
        ({"name": "x", "colour": "red"}, {"colour"}),
    ):
        with pytest.raises(ValidationFailed) as caught:
            services.experiment_update(actor=maya, experiment_id=draft.pk, values=values)
        assert set(caught.value.fields) == fields, values
    draft.refresh_from_db()
    assert (draft.name, draft.key, draft.guardrails) == (
        "Renamed",
        "cadence-2",
        ["acceptance_rate", "revenue_per_lead"],
    )
    assert [v.weight for v in draft.variants.all()] == [1, 1, 2]


def test_after_the_start_variants_key_and_assignment_are_fixed_but_metrics_may_change(
    workspace: Workspace, maya: Actor, team: dict[str, Actor]
) -> None:
    experiment = create(maya)
    services.experiment_start(actor=maya, experiment_id=experiment.pk)
    with pytest.raises(ValidationFailed) as caught:
        services.experiment_update(
            actor=maya,
            experiment_id=experiment.pk,
            values={"key": "new-key", "variants": variants(1, 1), "assignment": "recorded"},
        )
    assert set(caught.value.fields) == {"key", "variants", "assignment"}
    with pytest.raises(ValidationFailed) as caught:
        services.experiment_update(
            actor=maya, experiment_id=experiment.pk, values={"variants": variants(1, 3)}
        )
    assert list(caught.value.fields) == ["variants"]
    experiment.refresh_from_db()
    assert (experiment.key, experiment.assignment) == ("demo-cadence", "hash")
    assert [v.key for v in experiment.variants.all()] == ["today", "hour"]

    # The name and the hypothesis change without a trace; the metrics with one.
    services.experiment_update(actor=maya, experiment_id=experiment.pk, values={"name": "B"})
    services.experiment_update(
        actor=team["boss"],
        experiment_id=experiment.pk,
        values={"primary_metric": "mql_rate", "guardrails": ["won_rate"]},
    )
    services.experiment_update(  # unchanged values are not a change
        actor=maya, experiment_id=experiment.pk, values={"primary_metric": "mql_rate"}
    )
    experiment.refresh_from_db()
    assert (experiment.name, experiment.primary_metric, experiment.guardrails) == (
        "B",
        "mql_rate",
        ["won_rate"],
    )
    changes = experiment.metric_changes
    assert [(c["field"], c["from"], c["to"]) for c in changes] == [
        ("primary_metric", "sql_rate", "mql_rate"),
        ("guardrails", ["acceptance_rate", "revenue_per_lead"], ["won_rate"]),
    ]
    assert {c["by"] for c in changes} == {team["boss"].user.display_name}
    started = experiment.started_at
    assert started is not None
    assert all(started <= dt.datetime.fromisoformat(c["at"]) <= timezone.now() for c in changes)

    warnings = experiment_results(experiment).warnings
    changed = [w for w in warnings if "changed after the start" in w]
    assert len(changed) == 2
    assert changed[0].startswith("The primary metric changed after the start")
    assert changed[1].startswith("The guardrails changed after the start")
    assert all("exploratory" in w for w in changed)


# Assignment by hash --------------------------------------------------------------------------


def test_the_bucket_is_stable_and_the_split_follows_the_weights() -> None:
    points = [services.bucket("demo-cadence", pk) for pk in range(1, 4001)]
    assert all(0 <= p < 1 for p in points)
    assert points == [services.bucket("demo-cadence", pk) for pk in range(1, 4001)]
    assert len(set(points)) == len(points)
    other = [services.bucket("other-test", pk) for pk in range(1, 4001)]
    assert other != points  # experiments hash independently

    arms = [Variant(key="a", name="A", weight=3, is_control=True), Variant(key="b", name="B")]
    chosen = [services.variant_for(arms, "demo-cadence", pk).key for pk in range(1, 4001)]
    n, share = 4000, 3 / 4
    sd = math.sqrt(n * share * (1 - share))  # about 27
    assert abs(chosen.count("a") - n * share) < 4 * sd
    assert chosen == [services.variant_for(arms, "demo-cadence", pk).key for pk in range(1, 4001)]
    # Independent experiments: knowing the arm in one says (almost) nothing about the other.
    again = [services.variant_for(arms, "other-test", pk).key for pk in range(1, 4001)]
    both_a = sum(1 for x, y in zip(chosen, again, strict=True) if x == y == "a")
    assert abs(both_a - n * share * share) < 4 * math.sqrt(n * share**2 * (1 - share**2))
    # Three arms 1:1:2.
    three = [Variant(key=k, name=k, weight=w) for k, w in (("x", 1), ("y", 1), ("z", 2))]
    picked = [services.variant_for(three, "split", pk).key for pk in range(1, 4001)]
    for key, share in (("x", 0.25), ("y", 0.25), ("z", 0.5)):
        sd = math.sqrt(n * share * (1 - share))
        assert abs(picked.count(key) - n * share) < 4 * sd, key


def test_a_contact_created_while_a_hash_experiment_runs_joins_it(
    workspace: Workspace, maya: Actor, actor: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    running = create(maya)
    services.experiment_start(actor=maya, experiment_id=running.pk)
    recorded = create(maya, key="recorded", assignment="recorded")
    services.experiment_start(actor=maya, experiment_id=recorded.pk)
    create(maya, key="still-draft")
    with django_capture_on_commit_callbacks(execute=True):
        ana = contact(actor, "ana")
    joined = Assignment.objects.for_workspace(workspace).get()
    arms = list(running.variants.all())
    assert (joined.experiment_id, joined.contact_id, joined.source) == (running.pk, ana, "hash")
    assert joined.variant == services.variant_for(arms, running.key, ana)
    assert joined.assigned_at == contact_created_at(workspace, ana)
    assert (joined.exposures, joined.exposed_at) == (0, None)
    # The event again (a retry) changes nothing.
    services.assign_on_creation(workspace.pk, ana)
    assert Assignment.objects.for_workspace(workspace).count() == 1


def contact_created_at(workspace: Workspace, pk: int) -> dt.datetime:
    from accord.crm.models import Contact

    return Contact.objects.for_workspace(workspace).get(pk=pk).created_at


def test_the_catch_up_assigns_contacts_created_since_the_start_once(
    workspace: Workspace, maya: Actor, actor: Actor, team: dict[str, Actor]
) -> None:
    experiment = create(maya)
    with pytest.raises(Conflict, match="running ones only"):
        services.assign_new_contacts(actor=maya, experiment_id=experiment.pk)
    before = contact(actor, "before")
    services.experiment_start(actor=maya, experiment_id=experiment.pk)
    contact(actor, "backdated", created_at=timezone.now() - dt.timedelta(days=3))
    # The events of these contacts never run (no commit in this test): the catch-up fills in.
    new = [contact(actor, f"new{i}") for i in range(12)]
    with pytest.raises(PermissionDenied):
        services.assign_new_contacts(actor=team["sam"], experiment_id=experiment.pk)
    assert services.assign_new_contacts(actor=maya, experiment_id=experiment.pk) == 12
    assert services.assign_new_contacts(actor=maya, experiment_id=experiment.pk) == 0
    rows = Assignment.objects.for_workspace(workspace).filter(experiment=experiment)
    assert sorted(rows.values_list("contact_id", flat=True)) == sorted(new)
    assert before not in rows.values_list("contact_id", flat=True)
    arms = list(experiment.variants.all())
    assert all(
        a.variant_id == services.variant_for(arms, experiment.key, a.contact_id).pk for a in rows
    )
    assert all(a.assigned_at >= experiment_started(experiment) for a in rows)

    recorded = create(maya, key="recorded", assignment="recorded")
    services.experiment_start(actor=maya, experiment_id=recorded.pk)
    with pytest.raises(Conflict, match="recorded by the marketing tool"):
        services.assign_new_contacts(actor=maya, experiment_id=recorded.pk)
    assert not Assignment.objects.for_workspace(workspace).filter(experiment=recorded).exists()
    services.experiment_stop(actor=maya, experiment_id=experiment.pk)
    contact(actor, "late")
    with pytest.raises(Conflict):
        services.assign_new_contacts(actor=maya, experiment_id=experiment.pk)


def experiment_started(experiment: Experiment) -> dt.datetime:
    experiment.refresh_from_db()
    assert experiment.started_at is not None
    return experiment.started_at


# Recorded assignments and exposures ----------------------------------------------------------


@pytest.fixture
def recorded(maya: Actor) -> Experiment:
    """Started a month ago, so that the tool may record assignments of the past days."""
    experiment = create(maya, assignment="recorded")
    with time_machine.travel(timezone.now() - dt.timedelta(days=30)):
        return services.experiment_start(actor=maya, experiment_id=experiment.pk)


def test_recorded_assignments_are_all_or_none_and_never_move(  # noqa: PLR0917 - fixtures
    workspace: Workspace,
    other_workspace: Workspace,
    member_factory: Any,
    maya: Actor,
    actor: Actor,
    team: dict[str, Actor],
    recorded: Experiment,
) -> None:
    ana, bob, cy = (contact(actor, n) for n in ("ana", "bob", "cy"))
    at = timezone.now() - dt.timedelta(hours=5)
    record = services.record_assignments
    rows = [
        {"contact_id": ana, "variant": "today", "assigned_at": at.isoformat()},
        {"contact_id": bob, "variant": "hour"},
    ]
    assert record(actor=maya, experiment_id=recorded.pk, rows=rows) == {
        "recorded": 2,
        "unchanged": 0,
    }
    stored = {a.contact_id: a for a in Assignment.objects.for_workspace(workspace)}
    assert (stored[ana].variant.key, stored[ana].assigned_at, stored[ana].source) == (
        "today",
        at,
        "recorded",
    )
    assert stored[bob].variant.key == "hour" and stored[bob].assigned_at > at
    # Repeating changes nothing.
    assert record(actor=maya, experiment_id=recorded.pk, rows=rows) == {
        "recorded": 0,
        "unchanged": 2,
    }

    stranger = contact_create(
        actor=Actor.for_membership(member_factory("admin", ws=other_workspace), Source.WEB),
        values={"email": "zed@x.example"},
    ).pk
    for bad, fields in (
        (
            [{"contact_id": cy, "variant": "hour"}, {"contact_id": ana, "variant": "hour"}],
            {"1.variant"},
        ),  # moving ana
        (
            [{"contact_id": cy, "variant": "hour"}, {"contact_id": 999_999, "variant": "hour"}],
            {"1.contact_id"},
        ),
        ([{"contact_id": cy, "variant": "nope"}], {"0.variant"}),
        ([{"contact_id": stranger, "variant": "hour"}], {"0.contact_id"}),
        ([{"contact_id": str(cy), "variant": "hour"}], {"0.contact_id"}),
        ([{"contact_id": cy, "variant": "hour", "assigned_at": "yesterday"}], {"0.assigned_at"}),
        (
            [{"contact_id": cy, "variant": "hour"}, {"contact_id": cy, "variant": "today"}],
            {"1.variant"},
        ),  # the same contact twice, in two variants
    ):
        with pytest.raises(ValidationFailed) as caught:
            record(actor=maya, experiment_id=recorded.pk, rows=bad)
        assert set(caught.value.fields) == fields, bad
        assert caught.value.message.startswith("Nothing was recorded")
    assert Assignment.objects.for_workspace(workspace).count() == 2
    assert Assignment.objects.for_workspace(workspace).get(contact_id=ana).variant.key == "today"

    with pytest.raises(PermissionDenied):
        record(
            actor=team["vic"],
            experiment_id=recorded.pk,
            rows=[{"contact_id": cy, "variant": "hour"}],
        )
    draft = create(maya, key="draft", assignment="recorded")
    with pytest.raises(Conflict, match="running ones only"):
        record(actor=maya, experiment_id=draft.pk, rows=[{"contact_id": cy, "variant": "v0"}])
    services.experiment_stop(actor=maya, experiment_id=recorded.pk)
    with pytest.raises(Conflict):
        record(actor=maya, experiment_id=recorded.pk, rows=[{"contact_id": cy, "variant": "hour"}])
    assert Assignment.objects.for_workspace(workspace).count() == 2


def test_exposures_are_counted_and_the_first_time_kept(
    workspace: Workspace, maya: Actor, actor: Actor, team: dict[str, Actor], recorded: Experiment
) -> None:
    ana, bob = contact(actor, "ana"), contact(actor, "bob")
    services.record_assignments(
        actor=maya, experiment_id=recorded.pk, rows=[{"contact_id": ana, "variant": "hour"}]
    )
    first_time = dt.datetime(2030, 1, 2, 9, tzinfo=dt.UTC)
    with time_machine.travel(first_time, tick=False):
        first = services.record_exposure(actor=maya, experiment_id=recorded.pk, contact_id=ana)
    assert (first.exposures, first.exposed_at) == (1, first_time)
    with time_machine.travel(first_time + dt.timedelta(days=1), tick=False):
        services.record_exposure(actor=team["sam"], experiment_id=recorded.pk, contact_id=ana)
    third = services.record_exposure(actor=maya, experiment_id=recorded.pk, contact_id=ana)
    assert (third.exposures, third.exposed_at) == (3, first_time)
    stored = Assignment.objects.for_workspace(workspace).get(contact_id=ana)
    assert (stored.exposures, stored.exposed_at) == (3, first_time)
    for missing in (bob, 999_999):  # not in the experiment; no such contact
        with pytest.raises(NotFound):
            services.record_exposure(actor=maya, experiment_id=recorded.pk, contact_id=missing)
    with pytest.raises(PermissionDenied):
        services.record_exposure(actor=team["vic"], experiment_id=recorded.pk, contact_id=ana)
    assert Assignment.objects.for_workspace(workspace).get(contact_id=ana).exposures == 3


# Outcomes and results ------------------------------------------------------------------------


@pytest.fixture
def history(workspace: Workspace, maya: Actor, actor: Actor) -> dict[str, Any]:
    """Eight contacts joined on day 1, four a side; a third variant got no traffic.

    Control (a): c0 reaches SQL on day 2; c1 reached SQL on day 0.5, before it joined (not
    counted); c2 gets an open 500 deal on day 4; c3's 300 deal was won before it joined.
    Treatment (b): c4 and c5 reach SQL on day 3, c6 only MQL; c5's 1,000 deal is won on day 5.
    """
    t0 = timezone.now() - dt.timedelta(days=30)

    def day(n: float) -> dt.datetime:
        return t0 + dt.timedelta(days=n)

    experiment = create(
        maya,
        key="script-test",
        assignment="recorded",
        primary_metric="sql_rate",
        guardrails=["revenue_per_lead", "won_rate"],
        variants=[
            {"key": "a", "name": "Script A", "is_control": True},
            {"key": "b", "name": "Script B"},
            {"key": "c", "name": "Script C"},
        ],
    )
    with time_machine.travel(t0, tick=False):  # the contacts join after the start
        experiment = services.experiment_start(actor=maya, experiment_id=experiment.pk)
    people = [contact(actor, f"c{i}", created_at=day(0)) for i in range(8)]
    services.record_assignments(
        actor=maya,
        experiment_id=experiment.pk,
        rows=[
            {"contact_id": pk, "variant": "a" if i < 4 else "b", "assigned_at": day(1)}
            for i, pk in enumerate(people)
        ],
    )
    for i, stage, when in (
        (0, "sql", 2),
        (1, "sql", 0.5),
        (4, "sql", 3),
        (5, "mql", 2.5),
        (5, "sql", 3),
        (6, "mql", 3),
    ):
        change_stage(actor=actor, contact_id=people[i], to_stage=stage, occurred_at=day(when))
    stages = {s.key: s for s in pipeline_stages(workspace)}
    for i, amount, stage, created, closed in (
        (2, "500.00", "proposal", 4, None),
        (3, "300.00", "closed_won", 0.2, 0.5),
        (5, "1000.00", "closed_won", 4, 5),
    ):
        deal_create(
            actor=actor,
            values={
                "name": f"Deal {i}",
                "amount": amount,
                "primary_contact_id": people[i],
                "stage_id": stages[stage].pk,
                "created_at": day(created),
                **({"closed_at": day(closed)} if closed is not None else {}),
            },
        )
    return {"experiment": experiment, "people": people}


def test_outcomes_count_only_what_happened_after_the_assignment(history: dict[str, Any]) -> None:
    found = outcomes(history["experiment"])
    assert [(o.variant.key, o.assigned) for o in found] == [("a", 4), ("b", 4), ("c", 0)]
    a, b, c = found
    assert a.successes == {
        "mql_rate": 1,  # c0 (via SQL); c1's SQL came before it joined
        "sal_rate": 1,
        "sql_rate": 1,
        "won_rate": 0,  # c3's deal was won before it joined
        "acceptance_rate": 0,
    }
    assert b.successes == {
        "mql_rate": 3,
        "sal_rate": 2,
        "sql_rate": 2,
        "won_rate": 1,
        "acceptance_rate": 0,
    }
    for o in (a, b):
        assert o.trials == {
            "mql_rate": 4,
            "sal_rate": 4,
            "sql_rate": 4,
            "won_rate": 4,
            "acceptance_rate": 0,  # no handoff decided
        }
    assert sorted(a.values["pipeline_per_lead"]) == [0, 0, 0, 500]
    assert sorted(a.values["revenue_per_lead"]) == [0, 0, 0, 0]
    assert sorted(b.values["pipeline_per_lead"]) == [0, 0, 0, 1000]
    assert sorted(b.values["revenue_per_lead"]) == [0, 0, 0, 1000]
    assert a.values["hours_to_first_touch"] == b.values["hours_to_first_touch"] == []
    assert c.trials == dict.fromkeys(a.trials, 0) == c.successes
    assert all(v == [] for v in c.values.values())


def test_acceptance_and_first_touch_read_the_first_handoff_since_joining(
    history: dict[str, Any], workspace: Workspace
) -> None:
    """c0 (a): a handoff before it joined (ignored), then one accepted and touched 2.5 h after
    assignment, then a later rejection (not the first). c4 (b): rejected, never touched.
    c5 (b): still open, touched after 4 h (a first touch, not a decision)."""
    people = history["people"]
    joined = Assignment.objects.for_workspace(workspace).get(contact_id=people[0]).assigned_at

    def handoff(i: int, days: float, status: str, touched_hours: float | None = None) -> None:
        at = joined + dt.timedelta(days=days)
        touched = None if touched_hours is None else at + dt.timedelta(hours=touched_hours)
        Handoff.objects.create(workspace=workspace, contact_id=people[i], chosen_by="test",
                               status=status, assigned_at=at, first_touched_at=touched)  # fmt: skip

    handoff(0, -0.2, "rejected", 1)
    handoff(0, 1, "accepted", 2.5)
    handoff(0, 5, "rejected")
    handoff(4, 2, "rejected")
    handoff(5, 2, "open", 4)
    a, b, _ = outcomes(history["experiment"])
    assert (a.trials["acceptance_rate"], a.successes["acceptance_rate"]) == (1, 1)
    assert (b.trials["acceptance_rate"], b.successes["acceptance_rate"]) == (1, 0)
    assert a.values["hours_to_first_touch"] == [2.5]
    assert b.values["hours_to_first_touch"] == [4.0]


def test_results_compare_each_variant_with_the_control_without_a_nan(
    history: dict[str, Any],
) -> None:
    results = experiment_results(history["experiment"])
    assert results.assigned == {"a": 4, "b": 4, "c": 0}
    assert [(m.metric, m.role) for m in results.metrics] == [
        ("sql_rate", "primary"),
        ("revenue_per_lead", "guardrail"),
        ("won_rate", "guardrail"),
    ]
    primary = results.metrics[0]
    assert [(a.key, a.n, a.successes, a.value) for a in primary.arms] == [
        ("a", 4, 1, 0.25),
        ("b", 4, 2, 0.5),
        ("c", 0, 0, None),
    ]
    b_vs_a, c_vs_a = primary.comparisons
    assert (b_vs_a.variant, b_vs_a.kind, c_vs_a.variant) == ("b", "rate", "c")
    assert b_vs_a.test is not None and b_vs_a.test.p_value is not None
    assert b_vs_a.reading.startswith("Script B: 50.0% against 25.0% for the control, +100.0%")
    assert b_vs_a.verdict == "inconclusive"  # 4 contacts a side prove nothing
    assert c_vs_a.verdict == "inconclusive" and c_vs_a.reading.startswith(
        "Script C: not enough data"
    )
    revenue = results.metrics[1]
    assert [(a.key, a.n, a.value) for a in revenue.arms] == [
        ("a", 4, 0.0),
        ("b", 4, 250.0),
        ("c", 0, None),
    ]
    assert revenue.comparisons[1].test is None and "at least 2" in revenue.comparisons[1].reason
    assert results.warnings == ["Script C has no traffic: no contact was assigned to it."]
    assert results.reading.startswith(b_vs_a.reading)

    document = results_document(results)
    assert_finite(document)
    assert document["experiment"] == "script-test" and document["status"] == "running"
    assert document["metrics"][0]["comparisons"][0]["reading"] == b_vs_a.reading
    assert all(
        m["comparisons"] and all(c["reading"] for c in m["comparisons"])
        for m in document["metrics"]
    )
    # Holm within each family: the primary's comparisons, and the guardrails' together.
    for role in ("primary", "guardrail"):
        tested = [
            c
            for m in document["metrics"]
            if m["role"] == role
            for c in m["comparisons"]
            if c["test"] is not None and c["test"]["p_value"] is not None
        ]
        assert tested, role
        assert [c["adjusted_p"] for c in tested] == holm([c["test"]["p_value"] for c in tested])
    untested = [c for m in document["metrics"] for c in m["comparisons"] if c["test"] is None]
    assert all(c["adjusted_p"] is None for c in untested)


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment, written out independently."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted, running = [0.0] * m, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def test_a_draft_or_a_silent_experiment_reads_without_crashing(
    workspace: Workspace, maya: Actor
) -> None:
    draft = create(maya, planned_sample_size=100, guardrails=["hours_to_first_touch"])
    results = experiment_results(draft)
    assert results.assigned == {"today": 0, "hour": 0}
    assert results.warnings == ["The experiment has not started: no contact has joined yet."]
    assert [m.metric for m in results.metrics] == ["sql_rate", "hours_to_first_touch"]
    assert results.metrics[1].lower_is_better
    assert all(c.verdict == "inconclusive" for m in results.metrics for c in m.comparisons)
    assert_finite(results_document(results))

    services.experiment_start(actor=maya, experiment_id=draft.pk)
    draft.refresh_from_db()
    results = experiment_results(draft)
    assert results.warnings == [
        "Same day has no traffic: no contact was assigned to it.",
        "Within the hour has no traffic: no contact was assigned to it.",
    ]
    assert_finite(results_document(results))


def test_a_small_variant_against_the_plan_is_flagged(
    workspace: Workspace, maya: Actor, actor: Actor
) -> None:
    draft = create(maya, assignment="recorded", planned_sample_size=1000)
    experiment = services.experiment_start(actor=maya, experiment_id=draft.pk)
    people = [contact(actor, f"p{i}") for i in range(5)]
    services.record_assignments(
        actor=maya,
        experiment_id=experiment.pk,
        rows=[
            {"contact_id": pk, "variant": "today" if i < 2 else "hour"}
            for i, pk in enumerate(people)
        ],
    )
    results = experiment_results(experiment)
    assert results.warnings == ["The smallest variant has 2 of the 1,000 contacts planned."]
    assert results.assigned == {"today": 2, "hour": 3}
    assert_finite(results_document(results))


# Suspected bugs in src -----------------------------------------------------------------------


def test_a_won_deal_of_no_amount_still_counts_as_won(
    workspace: Workspace, maya: Actor, actor: Actor, recorded: Experiment
) -> None:
    ana = contact(actor, "ana")
    now = timezone.now()
    services.record_assignments(
        actor=maya,
        experiment_id=recorded.pk,
        rows=[{"contact_id": ana, "variant": "hour", "assigned_at": now - dt.timedelta(days=2)}],
    )
    stages = {s.key: s for s in pipeline_stages(workspace)}
    deal_create(
        actor=actor,
        values={
            "name": "Free pilot",
            "amount": "0",
            "primary_contact_id": ana,
            "stage_id": stages["closed_won"].pk,
            "created_at": now - dt.timedelta(days=1),
            "closed_at": now - dt.timedelta(hours=1),
        },
    )
    hour = outcomes(recorded)[1]
    assert (hour.variant.key, hour.trials["won_rate"]) == ("hour", 1)
    assert hour.successes["won_rate"] == 1


def test_a_variant_key_longer_than_its_column_is_refused(workspace: Workspace, maya: Actor) -> None:
    long_key = "b" * 50
    with pytest.raises(ValidationFailed) as caught:
        create(
            maya,
            variants=[
                {"key": "a", "name": "A", "is_control": True},
                {"key": long_key, "name": "B"},
            ],
        )
    assert list(caught.value.fields) == ["variants.1.key"]


def test_contacts_in_two_experiments_are_flagged(
    workspace: Workspace, maya: Actor, actor: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    first, second = create(maya), create(maya, key="pricing-page")
    for experiment in (first, second):
        services.experiment_start(actor=maya, experiment_id=experiment.pk)
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("ana", "ben", "cy"):
            contact(actor, name)
    warnings = experiment_results(first).warnings
    assert any("3 of its contacts are in other experiments too (pricing-page: 3)" in w
               for w in warnings), warnings  # fmt: skip
    # Balanced allocation: no sample-ratio warning on three contacts.
    assert not any("Sample-ratio" in w for w in warnings)


def test_cuped_uses_the_amounts_before_the_experiment_when_there_are_some(
    workspace: Workspace, maya: Actor, actor: Actor
) -> None:
    """Existing customers join a cadence test; each one's pipeline before it joined predicts
    its pipeline after, so CUPED takes most of the variance out and the comparison narrows."""
    experiment = services.experiment_start(
        actor=maya,
        experiment_id=create(maya, assignment="recorded", primary_metric="pipeline_per_lead",
                             guardrails=[]).pk,
    )  # fmt: skip
    stage = {s.key: s for s in pipeline_stages(workspace)}["proposal"]
    now = timezone.now()
    rows = []
    for i in range(40):
        pk = contact(actor, f"p{i}")
        size = 1000 * (1 + i % 10)  # the account's size drives its pipeline, before and after
        after = size * 1.1 + (50 if i % 2 else 0)
        for amount, created in ((size, now - dt.timedelta(days=30)),
                                (after, now + dt.timedelta(days=1))):  # fmt: skip
            deal_create(actor=actor, values={"name": f"d{i}", "amount": str(round(amount, 2)),
                                             "stage_id": stage.pk, "primary_contact_id": pk,
                                             "created_at": created})  # fmt: skip
        rows.append({"contact_id": pk, "variant": "hour" if i % 2 else "today",
                     "assigned_at": now.isoformat()})  # fmt: skip
    services.record_assignments(actor=maya, experiment_id=experiment.pk, rows=rows)
    primary = experiment_results(experiment).metrics[0]
    (comparison,) = primary.comparisons
    assert comparison.cuped_reduction is not None and comparison.cuped_reduction > 0.9
    assert "CUPED" in comparison.reading
    assert comparison.test is not None and comparison.test.difference == pytest.approx(50, abs=5)
    assert comparison.verdict == "better"  # plain Welch could not see +50 on sizes of 1,000s
