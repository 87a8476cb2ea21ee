"""The predictive score end to end: the service (versions, bulk predictions, refusals,
permissions, workspace isolation), the rule comparison, `predicted_conversion` in a
definition, the API, the CLI and the page."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from accord.core.errors import Conflict, PermissionDenied, ValidationFailed
from accord.crm.models import Contact
from accord.definitions.evaluation import evaluate_contacts
from accord.definitions.models import ContactPrediction, ContactScore, PredictiveModel
from accord.definitions.predictive.selectors import active_model, contact_prediction
from accord.definitions.predictive.services import predictions_refresh, predictive_train
from accord.definitions.tests.factories import active_version, sample_document
from accord.identity.actor import Actor, Source
from tests.api.conftest import Api, make_token
from tests.definitions.predictive_history import make_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(workspace):  # type: ignore[no-untyped-def]
    return make_history(workspace)


@pytest.fixture
def marketer(member_factory):  # type: ignore[no-untyped-def]
    return member_factory("marketer", email="marketer@acme.example")


@pytest.fixture
def viewer(member_factory):  # type: ignore[no-untyped-def]
    return member_factory("viewer", email="viewer@acme.example")


def as_actor(membership):  # type: ignore[no-untyped-def]
    return Actor.for_membership(membership, Source.WEB)


def nothing_written(workspace) -> bool:  # type: ignore[no-untyped-def]
    return (
        not PredictiveModel.objects.for_workspace(workspace).exists()
        and not ContactPrediction.objects.for_workspace(workspace).exists()
    )


# Service ------------------------------------------------------------------------------------
def test_training_stores_a_version_and_predicts_every_contact(workspace, history, marketer) -> None:  # type: ignore[no-untyped-def]
    model = predictive_train(as_actor(marketer))
    assert (model.version, model.active, model.target) == (1, True, "sql")
    assert model.trained_by == marketer.user
    m = model.metrics
    assert m["n_train"] + m["n_test"] == m["n_eligible"] > 100
    assert m["auc"] > 0.7
    assert m["rule_auc"] is None
    assert m["verdict"] == "no_rule"
    assert m["contacts_scored"] == len(history)
    assert len(m["reliability"]) == 10
    json.dumps(model.parameters)  # plain JSON, no pickled objects
    assert model.parameters["format"] == "accord-logistic-v1"
    predictions = ContactPrediction.objects.for_workspace(workspace)
    assert predictions.count() == len(history)
    assert set(predictions.values_list("model_version", flat=True)) == {1}
    assert all(0 < p < 1 for p in predictions.values_list("probability", flat=True))


def test_retraining_retires_the_previous_version(workspace, history, marketer) -> None:  # type: ignore[no-untyped-def]
    predictive_train(as_actor(marketer))
    second = predictive_train(as_actor(marketer), observation_days=3)
    models = PredictiveModel.objects.for_workspace(workspace).order_by("version")
    assert [(m.version, m.active) for m in models] == [(1, False), (2, True)]
    assert active_model(workspace) == second
    assert second.metrics["observation_days"] == 3
    versions = ContactPrediction.objects.for_workspace(workspace).values_list(
        "model_version", flat=True
    )
    assert set(versions) == {2}


def test_too_little_history_is_refused_and_writes_nothing(workspace, marketer) -> None:  # type: ignore[no-untyped-def]
    make_history(workspace, n=60, convert=False)
    with pytest.raises(Conflict, match=r"0 contacts reached sql .* Nothing was written"):
        predictive_train(as_actor(marketer))
    assert nothing_written(workspace)


def test_a_young_workspace_is_refused(workspace, marketer) -> None:  # type: ignore[no-untyped-def]
    make_history(workspace, n=20)
    with pytest.raises(Conflict, match="No contacts old enough"):
        predictive_train(as_actor(marketer), outcome_days=500)
    assert nothing_written(workspace)


def test_bad_settings_are_refused_field_by_field(workspace, history, marketer) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as caught:
        predictive_train(as_actor(marketer), target="won", observation_days=30, outcome_days=20)
    assert set(caught.value.fields) == {"target", "outcome_days"}
    assert nothing_written(workspace)


def test_a_viewer_cannot_train(workspace, history, viewer) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        predictive_train(as_actor(viewer))
    assert nothing_written(workspace)


def test_other_workspaces_are_neither_used_nor_scored(  # type: ignore[no-untyped-def]
    workspace, other_workspace, history, marketer
) -> None:
    others = make_history(other_workspace, n=30, seed=9)
    model = predictive_train(as_actor(marketer))
    assert model.metrics["contacts_scored"] == len(history)
    assert not ContactPrediction.objects.for_workspace(other_workspace).exists()
    assert active_model(other_workspace) is None
    with pytest.raises(Exception, match="no predictive model"):
        contact_prediction(other_workspace, others[0].pk)
    with pytest.raises(Exception, match=f"No contact with id {others[0].pk}"):
        contact_prediction(workspace, others[0].pk)


def test_rule_score_of_the_active_definition_is_compared(workspace, history, marketer) -> None:  # type: ignore[no-untyped-def]
    definition = active_version(workspace)
    m = predictive_train(as_actor(marketer)).metrics
    assert m["rule_definition_version"] == definition.version
    assert 0 <= m["rule_auc"] <= 1
    assert m["auc_difference"] == pytest.approx(m["auc"] - m["rule_auc"], abs=2e-4)
    assert m["verdict"] in {"better", "no_better", "worse"}
    assert f"lead definition v{definition.version}" in m["verdict_text"]


def test_contact_prediction_explains_with_factors(workspace, history, marketer) -> None:  # type: ignore[no-untyped-def]
    predictive_train(as_actor(marketer))
    contact = history[0]
    view = contact_prediction(workspace, contact.pk, factors=100)
    stored = ContactPrediction.objects.for_workspace(workspace).get(contact=contact)
    assert view.probability == pytest.approx(stored.probability)
    assert view.stored_probability == stored.probability
    # All factors (every non-zero one) plus the intercept give the log-odds.
    assert sum(f.contribution for f in view.factors) + view.intercept == pytest.approx(view.logit)
    sizes = [abs(f.contribution) for f in view.factors]
    assert sizes == sorted(sizes, reverse=True)
    assert any(f.description == "original source is referral" for f in view.factors)


def test_refresh_scores_new_contacts_with_the_active_model(workspace, history, marketer) -> None:  # type: ignore[no-untyped-def]
    assert predictions_refresh(as_actor(marketer)) == 0  # no model yet
    predictive_train(as_actor(marketer))
    newcomer = make_history(workspace, n=1, seed=3)[0]
    assert not ContactPrediction.objects.for_workspace(workspace).filter(contact=newcomer).exists()
    assert predictions_refresh(as_actor(marketer)) == len(history) + 1
    assert ContactPrediction.objects.for_workspace(workspace).filter(contact=newcomer).exists()


# predicted_conversion in a definition -----------------------------------------------------------
def test_definitions_can_use_the_predicted_conversion(workspace, history, marketer) -> None:  # type: ignore[no-untyped-def]
    predictive_train(as_actor(marketer))
    unscored = make_history(workspace, n=1, seed=4)[0]  # no prediction yet: unknown
    rule = {
        "id": "likely",
        "attribute": "predicted_conversion",
        "operator": "range",
        "min": 30,
        "points": 25,
    }
    active_version(workspace, sample_document(fit_rules=[rule]))
    evaluate_contacts(Actor.system(workspace, Source.SYSTEM))
    probability = dict(
        ContactPrediction.objects.for_workspace(workspace).values_list("contact_id", "probability")
    )
    fits = dict(ContactScore.objects.for_workspace(workspace).values_list("contact_id", "fit"))
    assert fits[unscored.pk] == 0.0
    expected = {c: (25.0 if 100 * p >= 30 else 0.0) for c, p in probability.items()}
    assert {c: fits[c] for c in expected} == expected
    assert 0 < sum(1 for v in expected.values() if v) < len(expected)


# API ----------------------------------------------------------------------------------------
def test_api_trains_and_reports(workspace, history, admin) -> None:  # type: ignore[no-untyped-def]
    api = Api(make_token(admin)[1])
    assert api.get("/predictive-model").status == 404
    reply = api.post("/predictive-model/train", {"observation_days": 5})
    assert reply.status == 201, reply.body
    assert reply.body["version"] == 1
    assert reply.body["metrics"]["observation_days"] == 5
    assert reply.body["parameters"]["features"]
    got = api.get("/predictive-model")
    assert got.status == 200
    assert got.body["metrics"]["auc"] == reply.body["metrics"]["auc"]
    prediction = api.get(f"/contacts/{history[0].pk}/prediction")
    assert prediction.status == 200
    body = prediction.body
    assert body["model_version"] == 1
    assert body["percent"] == round(100 * body["probability"], 1)
    assert 1 <= len(body["factors"]) <= 5
    assert {"feature", "label", "description", "value", "contribution"} <= set(body["factors"][0])


def test_api_refusals(workspace, history, api_as, other_api) -> None:  # type: ignore[no-untyped-def]
    viewer_api = api_as("viewer")
    refused = viewer_api.post("/predictive-model/train", {})
    assert refused.status == 403
    assert refused.error["code"] == "permission_denied"
    assert viewer_api.post("/predictive-model/train", {"queue": True}).status == 403
    bad = api_as("admin").post("/predictive-model/train", {"target": "won"})
    assert bad.status == 400
    assert nothing_written(workspace)
    assert api_as("admin").post("/predictive-model/train", {}).status == 201
    # The other workspace sees neither the model nor this workspace's contacts.
    assert other_api.get("/predictive-model").status == 404
    assert other_api.get(f"/contacts/{history[0].pk}/prediction").status == 404
    assert viewer_api.get(f"/contacts/{history[0].pk}/prediction").status == 200


def test_api_thin_history_is_a_conflict(workspace, api) -> None:  # type: ignore[no-untyped-def]
    make_history(workspace, n=40, convert=False)
    reply = api.post("/predictive-model/train", {})
    assert reply.status == 409
    assert "Too little history" in reply.error["message"]
    assert nothing_written(workspace)


def test_api_can_queue_the_training(workspace, history, api) -> None:  # type: ignore[no-untyped-def]
    from django_tasks_db.models import DBTaskResult

    reply = api.post("/predictive-model/train", {"queue": True})
    assert reply.status == 202
    assert reply.body == {"queued": True}
    queued = DBTaskResult.objects.filter(task_path__endswith="train_predictive_model")
    assert queued.count() == 1
    assert nothing_written(workspace)


# CLI ----------------------------------------------------------------------------------------
def test_cli_trains_and_prints_the_metrics(workspace, history) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="no predictive model yet"):
        call_command("predict", "--workspace", "acme", stdout=StringIO())
    out = StringIO()
    call_command("predict", "--workspace", "acme", "--train", stdout=out)
    text = out.getvalue()
    model = active_model(workspace)
    assert model is not None
    assert f"Predictive model v{model.version}" in text
    assert f"Test AUC                {model.metrics['auc']:.3f}" in text
    assert "Rule score AUC          no active definition" in text
    assert f"Verdict: {model.metrics['verdict_text']}" in text
    rows = re.findall(r"^ +\d+ +[\d,]+ +[\d.]+% +[\d.]+% \(", text, flags=re.MULTILINE)
    assert len(rows) == 10  # the reliability table
    shown = StringIO()
    call_command("predict", "--workspace", "acme", stdout=shown)
    assert "Top coefficients" in shown.getvalue()


def test_cli_reports_a_refusal(workspace) -> None:  # type: ignore[no-untyped-def]
    make_history(workspace, n=30, convert=False)
    with pytest.raises(CommandError, match="Too little history"):
        call_command("predict", "--workspace", "acme", "--train", stdout=StringIO())
    assert nothing_written(workspace)


# Page ---------------------------------------------------------------------------------------
URL = "/definitions/predictive/"


def signed_in(membership) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(membership.user)
    return client


def test_page_before_training_and_a_viewer_cannot_retrain(workspace, history, viewer) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(viewer)
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "No predictive model yet" in html
    assert "Retrain" not in html and "Train the model" not in html
    assert client.post(URL).status_code == 403
    assert nothing_written(workspace)


def test_page_retrain_and_report(workspace, history, marketer) -> None:  # type: ignore[no-untyped-def]
    active_version(workspace)
    client = signed_in(marketer)
    response = client.post(URL)
    assert response.status_code == 302
    model = active_model(workspace)
    assert model is not None
    page = client.get(URL)
    html = page.content.decode()
    m = model.metrics
    assert f"{m['auc']:.3f}" in html
    assert f"{m['rule_auc']:.3f}" in html
    assert f"{m['brier']:.4f}" in html
    assert m["verdict_text"].split("(")[0] in html
    assert html.count('r="3.5" fill="#2563eb"') == 10  # one point per decile
    assert 'stroke-dasharray="4 4"' in html  # the diagonal
    assert "Retrain" in html and "csrfmiddlewaretoken" in html
    explained = client.get(URL, {"contact": history[0].pk}).content.decode()
    assert "predicted chance of reaching SQL" in explained


def test_page_does_not_explain_another_workspaces_contact(  # type: ignore[no-untyped-def]
    workspace, other_workspace, history, marketer
) -> None:
    others = make_history(other_workspace, n=5, seed=2)
    predictive_train(as_actor(marketer))
    html = signed_in(marketer).get(URL, {"contact": others[0].pk}).content.decode()
    assert f"No contact with id {others[0].pk} in this workspace." in html
    assert Contact.objects.for_workspace(other_workspace).count() == 5
