"""Experiments over the REST API (/api/v1/experiments…) and the `experiment` command: the same
registry, lifecycle, assignments, exposures, results document and learnings log, with the
errors each entry point gives (400 with fields, 401, 403, 404, 409; CommandError)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command

from accord.crm.services.contacts import contact_create
from accord.experiments import services
from accord.experiments.models import Assignment, Experiment
from accord.experiments.presentation import quarter
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Workspace
from tests.api.conftest import Api, make_token

pytestmark = pytest.mark.django_db

EXPERIMENT = {
    "key": "discovery-script",
    "name": "Discovery script B",
    "hypothesis": "Asking about pains first turns more SALs into SQLs.",
    "subject": "call_script",
    "primary_metric": "sql_rate",
    "guardrails": ["acceptance_rate", "revenue_per_lead"],
    "planned_sample_size": 400,
    "assignment": "recorded",
    "variants": [
        {"key": "script-a", "name": "Script A", "is_control": True},
        {"key": "script-b", "name": "Script B", "weight": 1, "description": "Pains first"},
    ],
}
LEARNING = {
    "outcome": "won",
    "decision": "Ship script B to every seller",
    "result": "+31 % SQLs",
    "learned": "Pains first works",
}
RESULT_KEYS = {
    "experiment",
    "status",
    "assigned",
    "warnings",
    "sample_ratio_p",
    "reading",
    "metrics",
}
METRIC_KEYS = {"metric", "label", "role", "lower_is_better", "arms", "comparisons"}
COMPARISON_KEYS = {
    "variant",
    "kind",
    "test",
    "adjusted_p",
    "chance_to_beat",
    "expected_loss",
    "always_valid_p",
    "verdict",
    "reading",
    "reason",
}


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def team(member_factory: Any) -> dict[str, Membership]:
    return {
        "boss": member_factory("manager", email="boss@acme.example"),
        "maya": member_factory("marketer", email="maya@acme.example"),
        "sam": member_factory("sales_rep", email="sam@acme.example"),
        "vic": member_factory("viewer", email="vic@acme.example"),
    }


@pytest.fixture
def apis(team: dict[str, Membership]) -> dict[str, Api]:
    return {name: Api(make_token(m)[1]) for name, m in team.items()}


def contacts(actor: Actor, *names: str) -> list[int]:
    return [contact_create(actor=actor, values={"email": f"{n}@x.example"}).pk for n in names]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("experiment", *args, stdout=out)
    return out.getvalue()


# The API -------------------------------------------------------------------------------------


def test_the_registry_and_the_lifecycle_over_the_api(
    workspace: Workspace, apis: dict[str, Api], actor: Actor, team: dict[str, Membership]
) -> None:
    boss, maya, sam, vic = apis["boss"], apis["maya"], apis["sam"], apis["vic"]
    created = maya.post("/experiments", EXPERIMENT)
    assert created.status == 201, created.body
    body = created.body
    assert (body["key"], body["status"], body["assignment"], body["learning"]) == (
        "discovery-script",
        "draft",
        "recorded",
        None,
    )
    assert body["variants"] == [
        {"key": "script-a", "name": "Script A", "is_control": True, "weight": 1, "description": ""},
        {
            "key": "script-b",
            "name": "Script B",
            "is_control": False,
            "weight": 1,
            "description": "Pains first",
        },
    ]
    assert body["guardrails"] == ["acceptance_rate", "revenue_per_lead"]
    assert vic.get("/experiments/discovery-script").body == body  # every member reads
    assert [e["key"] for e in vic.get("/experiments").body["results"]] == ["discovery-script"]

    changed = boss.patch("/experiments/discovery-script", {"name": "Script B, pains first"})
    assert changed.status == 200 and changed.body["name"] == "Script B, pains first"
    assert changed.body["metric_changes"] == []

    started = maya.post("/experiments/discovery-script/start")
    assert started.status == 200 and started.body["status"] == "running"
    assert started.body["started_at"] is not None
    again = maya.post("/experiments/discovery-script/start")
    assert again.status == 409 and again.error["code"] == "conflict"
    fixed = maya.patch(
        "/experiments/discovery-script",
        {"variants": [{"key": "x", "name": "X", "is_control": True}, {"key": "y", "name": "Y"}]},
    )
    assert fixed.status == 400 and list(fixed.fields) == ["variants"]
    metric = boss.patch("/experiments/discovery-script", {"primary_metric": "sal_rate"})
    assert metric.status == 200
    assert [(c["field"], c["from"], c["to"]) for c in metric.body["metric_changes"]] == [
        ("primary_metric", "sql_rate", "sal_rate")
    ]

    # Assignments the marketing tool recorded, and exposures.
    ana, bob, cy = contacts(actor, "ana", "bob", "cy")
    rows = [
        {"contact_id": ana, "variant": "script-a", "assigned_at": started.body["started_at"]},
        {"contact_id": bob, "variant": "script-b"},
    ]
    recorded = sam.post("/experiments/discovery-script/assignments", {"assignments": rows})
    assert recorded.status == 200 and recorded.body == {"recorded": 2, "unchanged": 0}
    assert maya.post("/experiments/discovery-script/assignments", {"assignments": rows}).body == {
        "recorded": 0,
        "unchanged": 2,
    }
    moved = maya.post(
        "/experiments/discovery-script/assignments",
        {
            "assignments": [
                {"contact_id": cy, "variant": "script-a"},
                {"contact_id": ana, "variant": "script-b"},
            ]
        },
    )
    assert moved.status == 400 and list(moved.fields) == ["1.variant"]
    assert (
        vic.post("/experiments/discovery-script/assignments", {"assignments": rows}).status == 403
    )
    assert Assignment.objects.for_workspace(workspace).count() == 2

    first = maya.post("/experiments/discovery-script/exposures", {"contact_id": bob})
    assert first.status == 200, first.body
    assert (first.body["contact_id"], first.body["variant"], first.body["exposures"]) == (
        bob,
        "script-b",
        1,
    )
    second = maya.post("/experiments/discovery-script/exposures", {"contact_id": bob})
    assert second.body["exposures"] == 2
    assert second.body["exposed_at"] == first.body["exposed_at"]
    assert maya.post("/experiments/discovery-script/exposures", {"contact_id": cy}).status == 404

    results = vic.get("/experiments/discovery-script/results")
    assert results.status == 200
    document = results.body
    assert set(document) >= RESULT_KEYS
    assert (document["experiment"], document["status"], document["assigned"]) == (
        "discovery-script",
        "running",
        {"script-a": 1, "script-b": 1},
    )
    assert [(m["metric"], m["role"]) for m in document["metrics"]] == [
        ("sal_rate", "primary"),
        ("acceptance_rate", "guardrail"),
        ("revenue_per_lead", "guardrail"),
    ]
    assert [m["unit"] for m in document["metrics"]] == ["rate", "rate", "money"]
    for m in document["metrics"]:
        assert set(m) >= METRIC_KEYS
        assert [a["key"] for a in m["arms"]] == ["script-a", "script-b"]
        assert len(m["comparisons"]) == 1 and set(m["comparisons"][0]) >= COMPARISON_KEYS
        assert m["comparisons"][0]["reading"].startswith("Script B")
    assert any("primary metric changed after the start" in w for w in document["warnings"])
    assert any("smallest variant has 1 of the 400" in w for w in document["warnings"])

    # Concluding: every field, and not a draft.
    missing = maya.post("/experiments/discovery-script/conclude", {"outcome": "won"})
    assert missing.status == 400
    assert set(missing.fields) == {"decision", "result", "learned"}
    bad = maya.post("/experiments/discovery-script/conclude", {**LEARNING, "outcome": "meh"})
    assert bad.status == 400 and list(bad.fields) == ["outcome"]
    assert vic.post("/experiments/discovery-script/conclude", LEARNING).status == 403
    concluded = maya.post("/experiments/discovery-script/conclude", LEARNING)
    assert concluded.status == 200, concluded.body
    assert {k: concluded.body[k] for k in LEARNING} == LEARNING
    assert concluded.body["recorded_at"]
    final = vic.get("/experiments/discovery-script").body
    assert final["status"] == "concluded" and final["learning"]["outcome"] == "won"
    assert final["stopped_at"] is not None

    boss.post("/experiments", {**EXPERIMENT, "key": "still-draft"})
    draft_conclude = boss.post("/experiments/still-draft/conclude", LEARNING)
    assert draft_conclude.status == 409
    assert boss.post("/experiments/still-draft/stop").status == 409
    assert vic.get("/experiments/still-draft/results").body["warnings"] == [
        "The experiment has not started: no contact has joined yet."
    ]
    assert [e["key"] for e in vic.get("/experiments").body["results"]] == [
        "still-draft",
        "discovery-script",
    ]


def test_the_learnings_log_counts_each_quarter(
    workspace: Workspace, apis: dict[str, Api], team: dict[str, Membership]
) -> None:
    maya, vic = apis["maya"], apis["vic"]
    marketer = Actor.for_membership(team["maya"], Source.WEB)
    for key, outcome in (("won-one", "won"), ("lost-one", "lost"), ("open-one", None)):
        assert maya.post("/experiments", {**EXPERIMENT, "key": key}).status == 201
        assert maya.post(f"/experiments/{key}/start").status == 200
        if outcome:
            reply = maya.post(f"/experiments/{key}/conclude", {**LEARNING, "outcome": outcome})
            assert reply.status == 200
    maya.post("/experiments", {**EXPERIMENT, "key": "draft-one"})  # not started: not counted
    old = services.experiment_create(actor=marketer, values={**EXPERIMENT, "key": "old-one"})
    with time_machine.travel(dt.datetime(2025, 8, 14, 12, tzinfo=dt.UTC), tick=False):
        services.experiment_start(actor=marketer, experiment_id=old.pk)
    services.experiment_conclude(
        actor=marketer, experiment_id=old.pk, values={**LEARNING, "outcome": "inconclusive"}
    )
    started = Experiment.objects.for_workspace(workspace).get(key="won-one").started_at
    assert started is not None
    now = quarter(started)
    assert now != "2025-Q3"

    log = vic.get("/experiments-learnings")
    assert log.status == 200
    assert log.body["quarters"] == [
        {"quarter": now, "run": 3, "won": 1, "lost": 1, "inconclusive": 0, "open": 1},
        {"quarter": "2025-Q3", "run": 1, "won": 0, "lost": 0, "inconclusive": 1, "open": 0},
    ]
    assert sorted((e["key"], e["learning"]["outcome"]) for e in log.body["experiments"]) == [
        ("lost-one", "lost"),
        ("old-one", "inconclusive"),
        ("won-one", "won"),
    ]


def test_the_api_refuses_bad_input_strangers_and_unknown_experiments(
    workspace: Workspace,
    other_workspace: Workspace,
    member_factory: Any,
    apis: dict[str, Api],
) -> None:
    maya, vic = apis["maya"], apis["vic"]
    stranger = Api(make_token(member_factory("admin", ws=other_workspace))[1])
    assert stranger.post("/experiments", {**EXPERIMENT, "key": "theirs"}).status == 201

    assert vic.post("/experiments", EXPERIMENT).status == 403
    assert apis["sam"].post("/experiments", EXPERIMENT).status == 403
    assert Api(None).get("/experiments").status == 401
    assert Api(None).post("/experiments", EXPERIMENT).status == 401
    for path in ("/experiments/nope", "/experiments/theirs", "/experiments/theirs/results"):
        reply = maya.get(path)
        assert reply.status == 404 and reply.error["code"] == "not_found", path
    assert maya.post("/experiments/theirs/start").status == 404
    assert maya.patch("/experiments/theirs", {"name": "Mine"}).status == 404
    assert maya.get("/experiments").body["results"] == []

    no_hypothesis = {k: v for k, v in EXPERIMENT.items() if k != "hypothesis"}
    for body, fields in (
        (no_hypothesis, {"hypothesis"}),
        ({**EXPERIMENT, "colour": "red"}, {"colour"}),
        ({**EXPERIMENT, "subject": "podcast"}, {"subject"}),
        ({**EXPERIMENT, "primary_metric": "clicks"}, {"primary_metric"}),
        ({**EXPERIMENT, "guardrails": ["sql_rate"]}, {"guardrails"}),
        ({**EXPERIMENT, "key": "Not a key"}, {"key"}),
        ({**EXPERIMENT, "variants": EXPERIMENT["variants"][:1]}, {"variants"}),
        (
            {
                **EXPERIMENT,
                "variants": [
                    {"key": "a", "name": "A", "is_control": True},
                    {"key": "b", "name": "B", "weight": 0},
                ],
            },
            {"variants.1.weight"},
        ),
        (
            {**EXPERIMENT, "variants": [{"key": "a", "name": "A"}, {"key": "b", "name": "B"}]},
            {"variants"},
        ),
    ):
        reply = maya.post("/experiments", body)
        assert reply.status == 400, body
        assert set(reply.fields) == fields, reply.fields
        assert reply.error["code"] == "validation_error"
    assert not Experiment.objects.for_workspace(workspace).exists()
    assert maya.post("/experiments", EXPERIMENT).status == 201
    duplicate = maya.post("/experiments", EXPERIMENT)
    assert duplicate.status == 400 and list(duplicate.fields) == ["key"]
    assert maya.patch("/experiments/discovery-script", {"colour": "red"}).fields == {
        "colour": ["Unknown field."]
    }
    assert maya.patch("/experiments/discovery-script", {"name": ""}).status == 400
    assert vic.patch("/experiments/discovery-script", {"name": "x"}).status == 403
    assert vic.post("/experiments/discovery-script/start").status == 403
    # A draft takes no assignment; the body's field is `assignments`.
    assert maya.post("/experiments/discovery-script/assignments", {"assignments": []}).status == 409
    wrong = maya.post("/experiments/discovery-script/assignments", {"rows": []})
    assert wrong.status == 400 and set(wrong.fields) == {"rows", "assignments"}
    assert Experiment.objects.for_workspace(workspace).get().name == EXPERIMENT["name"]


def test_renaming_a_draft_over_the_api_answers_with_the_renamed_experiment(
    workspace: Workspace, apis: dict[str, Api]
) -> None:
    maya = apis["maya"]
    assert maya.post("/experiments", EXPERIMENT).status == 201
    renamed = maya.patch("/experiments/discovery-script", {"key": "discovery-script-2"})
    assert Experiment.objects.for_workspace(workspace).get().key == "discovery-script-2"
    assert renamed.status == 200, renamed.body
    assert renamed.body["key"] == "discovery-script-2"


# The CLI -------------------------------------------------------------------------------------


def test_the_cli_runs_an_experiment_from_file_to_learning(
    workspace: Workspace, tmp_path: Path, actor: Actor, apis: dict[str, Api]
) -> None:
    assert run("list", "--workspace", "acme") == "No experiments yet.\n"
    assert run("learnings", "--workspace", "acme") == "No experiment has started yet.\n"
    spec = tmp_path / "experiment.json"
    spec.write_text(
        json.dumps({**EXPERIMENT, "assignment": "hash", "planned_sample_size": None}),
        encoding="utf-8",
    )
    out = run("create", "--workspace", "acme", "--as", "maya@acme.example", "--file", str(spec))
    assert out == "Experiment 'discovery-script' registered as a draft.\n"
    table = run("list", "--workspace", "acme")
    assert "discovery-script" in table and "draft" in table and "sql_rate" in table
    listed = json.loads(run("list", "--workspace", "acme", "--format", "json"))
    assert [(e["key"], e["status"], len(e["variants"])) for e in listed] == [
        ("discovery-script", "draft", 2)
    ]

    as_boss = ("--workspace", "acme", "--as", "boss@acme.example")
    assert run("start", "discovery-script", *as_boss) == "Experiment 'discovery-script' started.\n"
    # No commit in this test: the contact.created events never run, the catch-up assigns.
    people = contacts(actor, *(f"p{i}" for i in range(6)))
    assert run("assign", "discovery-script", *as_boss) == (
        "Assigned 6 contact(s) to 'discovery-script'.\n"
    )
    assert run("assign", "discovery-script", *as_boss) == (
        "Assigned 0 contact(s) to 'discovery-script'.\n"
    )
    assert sorted(
        Assignment.objects.for_workspace(workspace).values_list("contact_id", flat=True)
    ) == sorted(people)

    table = run("results", "discovery-script", "--workspace", "acme")
    lines = table.splitlines()
    assert lines[0].startswith("Discovery script B (running): script-a ")
    assert "Conversion to SQL (primary)" in lines
    assert any(line.startswith("  Script B") for line in lines)
    as_json = json.loads(
        run("results", "discovery-script", "--workspace", "acme", "--format", "json")
    )
    assert as_json == apis["vic"].get("/experiments/discovery-script/results").body
    assert sum(as_json["assigned"].values()) == 6

    assert run("stop", "discovery-script", *as_boss) == "Experiment 'discovery-script' stopped.\n"
    out = run(
        "conclude",
        "discovery-script",
        *as_boss,
        "--outcome",
        "lost",
        "--decision",
        "Keep script A",
        "--result",
        "-4 % SQLs",
        "--learned",
        "Pains first rushes the call",
    )
    assert out == "Experiment 'discovery-script' concluded: lost.\n"
    log = run("learnings", "--workspace", "acme")
    started = Experiment.objects.for_workspace(workspace).get().started_at
    assert started is not None
    assert log.splitlines()[0].split() == ["quarter", "run", "won", "lost", "inconclusive", "open"]
    assert log.splitlines()[1].split() == [quarter(started), "1", "0", "1", "0", "0"]
    assert "Discovery script B — lost: Keep script A" in log
    assert "Learned: Pains first rushes the call" in log
    as_json = json.loads(run("learnings", "--workspace", "acme", "--format", "json"))
    api_log = apis["vic"].get("/experiments-learnings").body
    assert as_json["quarters"] == api_log["quarters"]
    assert [e["key"] for e in as_json["experiments"]] == ["discovery-script"]
    assert as_json["experiments"][0]["learning"]["learned"] == "Pains first rushes the call"


def test_the_cli_explains_what_went_wrong(
    workspace: Workspace, tmp_path: Path, team: dict[str, Membership]
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(EXPERIMENT), encoding="utf-8")
    as_maya = ("--workspace", "acme", "--as", "maya@acme.example")
    with pytest.raises(CommandError, match="does not allow"):
        run("create", "--workspace", "acme", "--as", "vic@acme.example", "--file", str(good))
    with pytest.raises(CommandError, match=r"No user with email ghost@acme\.example"):
        run("create", "--workspace", "acme", "--as", "ghost@acme.example", "--file", str(good))
    with pytest.raises(CommandError, match="No workspace 'nowhere'"):
        run("list", "--workspace", "nowhere")
    with pytest.raises(CommandError, match="Cannot read"):
        run("create", *as_maya, "--file", str(tmp_path / "missing.json"))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="Cannot read"):
        run("create", *as_maya, "--file", str(broken))
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(CommandError, match="one JSON object"):
        run("create", *as_maya, "--file", str(listed))
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({**EXPERIMENT, "hypothesis": "", "subject": "x"}), "utf-8")
    with pytest.raises(CommandError) as caught:
        run("create", *as_maya, "--file", str(invalid))
    message = str(caught.value)
    assert "hypothesis: This field is required." in message and "subject: " in message
    assert not Experiment.objects.for_workspace(workspace).exists()

    run("create", *as_maya, "--file", str(good))
    with pytest.raises(CommandError, match="No experiment 'nope' in workspace acme"):
        run("results", "nope", "--workspace", "acme")
    with pytest.raises(CommandError, match="No experiment 'nope'"):
        run("start", "nope", *as_maya)
    with pytest.raises(CommandError, match="draft has not run"):
        run(
            "conclude",
            "discovery-script",
            *as_maya,
            "--outcome",
            "won",
            "--decision",
            "d",
            "--result",
            "r",
            "--learned",
            "l",
        )
    run("start", "discovery-script", *as_maya)
    with pytest.raises(CommandError, match="only a draft can start"):
        run("start", "discovery-script", *as_maya)
    with pytest.raises(CommandError, match="recorded by the marketing tool"):
        run("assign", "discovery-script", *as_maya)
    with pytest.raises(CommandError, match="does not allow"):
        run("stop", "discovery-script", "--workspace", "acme", "--as", "sam@acme.example")
    assert Experiment.objects.for_workspace(workspace).get().status == "running"


def test_the_sample_size_calculator_on_the_api_and_the_cli(admin: Any) -> None:
    from accord.experiments.stats.power import sample_size_proportions

    api = Api(make_token(admin)[1])
    reply = api.get("/experiments-sample-size", baseline=0.1, uplift=0.2)
    assert reply.status == 200, reply.body
    expected = sample_size_proportions(0.1, 0.12)
    assert reply.body["per_variant"] == expected.per_arm
    assert reply.body["treatment_rate"] == pytest.approx(0.12)
    assert api.get("/experiments-sample-size", baseline=0.5, uplift=1.5).status == 400
    assert api.get("/experiments-sample-size", baseline=0, uplift=0.2).status in (400, 422)
    out = io.StringIO()
    call_command("experiment", "size", "--baseline", "0.1", "--uplift", "0.2", stdout=out)
    assert f"{expected.per_arm:,} contacts per variant" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("experiment", "size", "--baseline", "0.1", "--uplift", "0")


def test_the_sample_size_calculator_keys_each_refusal_by_its_parameter(admin: Any) -> None:
    api = Api(make_token(admin)[1])
    for power in (0.05, 0.04):  # not above alpha: a test "detects" with probability alpha
        weak = api.get("/experiments-sample-size", baseline=0.1, uplift=0.2, power=power)
        assert weak.status == 400, weak.body
        assert list(weak.fields) == ["power"]
        assert weak.fields["power"][0].startswith("The power must be above alpha (0.05)")
    tiny = api.get("/experiments-sample-size", baseline=0.1, uplift=1e-9)
    assert tiny.status == 400 and list(tiny.fields) == ["uplift"]
    assert tiny.fields["uplift"] == [
        "The uplift is too small to detect: it would take more than 1,000,000,000 contacts per "
        "variant. Test a larger change."
    ]
    equal = api.get("/experiments-sample-size", baseline=0.1, uplift=0)
    assert equal.status == 400 and list(equal.fields) == ["uplift"]
    # Just under the limit still answers (baseline 10 %, uplift 0.1 %: about 14 million).
    near = api.get("/experiments-sample-size", baseline=0.1, uplift=0.001)
    assert near.status == 200 and 10**7 < near.body["per_variant"] < 10**9
    with pytest.raises(CommandError, match="too small to detect"):
        call_command("experiment", "size", "--baseline", "0.1", "--uplift", "1e-9")
    with pytest.raises(CommandError, match="The power must be above alpha"):
        call_command("experiment", "size", "--baseline", "0.1", "--uplift", "0.2", "--power",
                     "0.05")  # fmt: skip
