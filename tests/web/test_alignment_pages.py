"""The alignment pages: who may see and change what, the survey editor (a new version once a
pulse used the survey; bad rows save nothing), the weighting form, the feedback loop, and
another workspace's pulse not found."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from accord.alignment import services
from accord.alignment.behaviour_weights import COMPONENT_KEYS
from accord.alignment.instrument import DEFAULT_INSTRUMENT
from accord.alignment.models import IndexWeighting, RejectionReview, SurveyVersion
from accord.handoff.models import Handoff
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


def _editor_form(**changes: str) -> dict[str, str]:
    form: dict[str, str] = {"comment": "clearer wording"}
    for n, item in enumerate(DEFAULT_INSTRUMENT.items):
        form |= {f"key-{n}": item.key, f"text-{n}": item.text, f"area-{n}": item.area,
                 f"kind-{n}": item.kind, f"origin-{n}": item.origin}  # fmt: skip
        if item.reverse:
            form[f"reverse-{n}"] = "1"
    return form | changes


def test_every_member_reads_the_pages_but_only_runners_change_them(
    client: Client, admin: Membership, member_factory: Any
) -> None:
    rep = member_factory("sales_rep", email="rep@acme.example")
    viewer = member_factory("viewer", email="viewer@acme.example")
    for member in (admin, rep, viewer):
        client.force_login(member.user)
        for url in ("/alignment/", "/alignment/pulses/", "/alignment/survey/edit/",
                    "/alignment/weighting/", "/alignment/feedback/"):  # fmt: skip
            assert client.get(url).status_code == 200, (member.role, url)
    for member in (rep, viewer):
        client.force_login(member.user)
        assert client.post("/alignment/pulses/", {"days": "7"}).status_code == 403
        assert client.post("/alignment/survey/edit/", _editor_form()).status_code == 403
        assert client.post("/alignment/weighting/", dict.fromkeys(COMPONENT_KEYS, "1")
                           ).status_code == 403  # fmt: skip
        assert client.post("/alignment/feedback/", {"handoff_id": "1"}).status_code == 403
    ws = admin.workspace
    assert not SurveyVersion.objects.for_workspace(ws).exists()
    assert not IndexWeighting.objects.for_workspace(ws).exists()


def test_the_editor_saves_in_place_then_as_a_new_version_once_used(
    client: Client, admin: Membership, member_factory: Any
) -> None:
    member_factory("sales_rep")
    client.force_login(admin.user)
    ws = admin.workspace
    response = client.post("/alignment/survey/edit/", _editor_form(**{"text-0": "Same goals?"}))
    assert response.status_code == 302
    (v1,) = SurveyVersion.objects.for_workspace(ws)
    assert (v1.number, v1.document["items"][0]["text"]) == (1, "Same goals?")
    services.pulse_open(actor=Actor.for_membership(admin, Source.API))
    # A new row, a removed row: version 2; the pulse keeps version 1.
    changed = _editor_form(**{"remove-1": "1", "key-35": "lunch_together",
                              "text-35": "We have lunch together.", "area-35": "shared_time",
                              "kind-35": "yes_no"})  # fmt: skip
    assert client.post("/alignment/survey/edit/", changed).status_code == 302
    v2 = SurveyVersion.objects.for_workspace(ws).get(number=2)
    keys = [i["key"] for i in v2.document["items"]]
    assert "open_communication" not in keys and keys[-1] == "lunch_together"
    assert len(SurveyVersion.objects.for_workspace(ws).get(number=1).document["items"]) == 35


def test_a_bad_row_saves_nothing_and_says_which(client: Client, admin: Membership) -> None:
    client.force_login(admin.user)
    bad = _editor_form(**{"text-3": "", "key-35": "same_goals", "text-35": "Twice the key",
                          "area-35": "shared_time"})  # fmt: skip
    response = client.post("/alignment/survey/edit/", bad)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved" in page and "same_goals" in page
    assert not SurveyVersion.objects.for_workspace(admin.workspace).exists()


def test_the_weighting_form_versions_and_refuses_bad_weights(
    client: Client, admin: Membership
) -> None:
    client.force_login(admin.user)
    weights = dict.fromkeys(COMPONENT_KEYS, "1") | {"feedback_latency": "3"}
    assert client.post("/alignment/weighting/", weights).status_code == 302
    assert client.post("/alignment/weighting/", weights | {"recognition": "-2"}
                       ).status_code == 400  # fmt: skip
    assert client.post("/alignment/weighting/", weights | {"recognition": "lots"}
                       ).status_code == 400  # fmt: skip
    (saved,) = IndexWeighting.objects.for_workspace(admin.workspace)
    assert (saved.number, saved.weights["feedback_latency"]) == (1, 3.0)


def test_marketing_reviews_a_rejection_from_the_feedback_page(
    client: Client, admin: Membership, member_factory: Any
) -> None:
    from accord.crm.tests.factories import ContactFactory

    marketer = member_factory("marketer", email="maya@acme.example")
    ws = admin.workspace
    contact = ContactFactory(workspace=ws)
    handoff = Handoff.objects.create(workspace=ws, contact=contact, chosen_by="test",
                                     status="rejected", assigned_at=contact.created_at,
                                     decided_at=contact.created_at)  # fmt: skip
    client.force_login(marketer.user)
    assert f'data-handoff="{handoff.pk}"' in client.get("/alignment/feedback/").content.decode()
    assert client.post("/alignment/feedback/", {"handoff_id": handoff.pk}).status_code == 302
    review = RejectionReview.objects.for_workspace(ws).get()
    assert (review.handoff_id, review.reviewed_by_id) == (handoff.pk, marketer.user_id)
    assert f'data-handoff="{handoff.pk}"' not in client.get("/alignment/feedback/").content.decode()


def test_another_workspaces_pulse_is_not_found(
    client: Client, admin: Membership, member_factory: Any, other_workspace: Any
) -> None:
    stranger = member_factory("admin", ws=other_workspace, email="boss@other.example")
    member_factory("marketer", ws=other_workspace)
    theirs = services.pulse_open(actor=Actor.for_membership(stranger, Source.API))
    client.force_login(admin.user)
    for url in (f"/alignment/pulses/{theirs.pk}/", f"/alignment/survey/{theirs.pk}/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/alignment/pulses/{theirs.pk}/close/").status_code in (302, 404)
    theirs.refresh_from_db()
    assert theirs.status == "open"


def test_the_csv_export_hides_what_the_page_hides(
    client: Client, admin: Membership, member_factory: Any
) -> None:
    reps = [member_factory("sales_rep") for _ in range(5)]
    marketers = [member_factory("marketer") for _ in range(4)]
    pulse = services.pulse_open(actor=Actor.for_membership(admin, Source.API))
    for n, member in enumerate(reps + marketers):
        answers = {i.key: (n % 2 if i.kind == "yes_no" else 1 + n % 5)
                   for i in DEFAULT_INSTRUMENT.items}  # fmt: skip
        services.response_submit(actor=Actor.for_membership(member, Source.API),
                                 pulse_id=pulse.pk, answers=answers)  # fmt: skip
    client.force_login(reps[0].user)
    response = client.get(f"/alignment/pulses/{pulse.pk}/export.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="pulse-{pulse.pk}.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 5 + 35  # the areas, then the items
    for row in rows:
        assert row["sales"] != ""  # five sellers: shown
        assert row["marketing"] == row["both"] == row["sales_minus_marketing"] == ""
        assert "fewer than 5 marketing responses" in row["hidden"]
    same_goals = next(r for r in rows if r["key"] == "same_goals")
    # Sellers answered 1, 2, 3, 4, 5: scores 0, 25, 50, 75, 100.
    assert same_goals["sales"] == "50.0"
