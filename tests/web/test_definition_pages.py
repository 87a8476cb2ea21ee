"""Lead definition pages: history, editor with live validation, the two-sided approval workflow,
the back-test panel, re-score jobs and the score on the contact page; permissions and scoping."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accord.crm.tests.factories import CompanyFactory, ContactFactory
from accord.definitions.models import DefinitionStatus, LeadDefinition, RescoreJob
from accord.definitions.tests.factories import (
    active_version,
    marketing_manager,
    sales_manager,
    sample_document,
    team_member,
)
from accord.identity.models import Membership, Role, TeamKind
from accord.marketing.tests.factories import TouchpointFactory

pytestmark = pytest.mark.django_db


def _client(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def _versions(workspace: Any) -> list[tuple[int, str]]:
    return list(
        LeadDefinition.objects.for_workspace(workspace)
        .order_by("version")
        .values_list("version", "status")
    )


def test_history_and_empty_state(admin_client: Client, workspace: Any) -> None:
    page = admin_client.get("/definitions/").content.decode()
    assert "No lead definition yet." in page
    assert "/definitions/new/" in page
    active_version(workspace)
    page = admin_client.get("/definitions/").content.decode()
    assert 'data-version="1"' in page
    assert "Re-score every contact" in page
    assert "Latest re-score" in page  # activation queued one


def test_editor_creates_a_draft_and_refuses_bad_documents(
    admin_client: Client, workspace: Any
) -> None:
    form = admin_client.get("/definitions/new/")
    assert form.status_code == 200
    assert "fit_rules" in form.content.decode()  # the starter document
    bad = dict(sample_document(), mql={"fit_min": 50, "engagement_min": 10})
    bad["fit_rules"][0]["operator"] = "regex"
    bad["fit_rules"][0]["value"] = "(unclosed"
    refused = admin_client.post("/definitions/new/", {"document": json.dumps(bad)})
    assert refused.status_code == 400
    assert "fit_rules.0.value" in refused.content.decode()
    assert _versions(workspace) == []
    not_json = admin_client.post("/definitions/new/", {"document": "{oops"})
    assert not_json.status_code == 400 and "Not valid JSON" in not_json.content.decode()
    saved = admin_client.post(
        "/definitions/new/", {"document": json.dumps(sample_document()), "comment": "first"}
    )
    assert saved.status_code == 302
    assert _versions(workspace) == [(1, "draft")]


def test_live_validation_returns_errors_or_a_summary(admin_client: Client) -> None:
    ok = admin_client.post(
        "/definitions/validate/", {"document": json.dumps(sample_document())}
    ).content.decode()
    assert 'id="document-valid"' in ok
    assert "seniority in vp, executive" in ok
    assert "<html" not in ok  # just the panel
    bad = admin_client.post(
        "/definitions/validate/", {"document": json.dumps({"mql": {"fit_min": -1}})}
    ).content.decode()
    assert 'id="document-errors"' in bad and "mql.fit_min" in bad


def test_two_sided_approval_through_the_pages(
    login: Callable[[Membership], Client], admin_client: Client, workspace: Any
) -> None:
    admin_client.post("/definitions/new/", {"document": json.dumps(sample_document())})
    definition = LeadDefinition.objects.for_workspace(workspace).get()
    url = f"/definitions/{definition.pk}/"
    admin_client.post(f"{url}propose/")
    marketer = _client(team_member(workspace, Role.MARKETER, TeamKind.MARKETING, "mk@x.example"))
    refused = marketer.post(f"{url}approve/")
    assert refused.status_code == 403
    marketing = _client(marketing_manager(workspace))
    assert "Approve for marketing" in marketing.get(url).content.decode()
    marketing.post(f"{url}approve/")
    assert "Approve for marketing" not in marketing.get(url).content.decode()
    early = marketing.post(f"{url}activate/", follow=True).content.decode()
    assert "missing approval: sales" in early
    assert _versions(workspace) == [(1, DefinitionStatus.PROPOSED)]
    sales = _client(sales_manager(workspace))
    sales.post(f"{url}approve/")
    assert _versions(workspace) == [(1, DefinitionStatus.APPROVED)]
    done = sales.post(f"{url}activate/", follow=True).content.decode()
    assert "is active; every contact was re-scored" in done
    assert _versions(workspace) == [(1, DefinitionStatus.ACTIVE)]
    assert RescoreJob.objects.for_workspace(workspace).get().status == "succeeded"


def test_viewers_change_nothing_and_other_workspaces_are_hidden(
    login: Callable[[Membership], Client],
    viewer: Membership,
    workspace: Any,
    other_workspace: Any,
) -> None:
    definition = active_version(workspace)
    client = login(viewer)
    assert client.get(f"/definitions/{definition.pk}/").status_code == 200
    assert "New draft" not in client.get("/definitions/").content.decode()
    assert client.get("/definitions/new/").status_code == 403
    for path in (
        "/definitions/new/",
        "/definitions/rescore/",
        f"/definitions/{definition.pk}/propose/",
    ):
        assert client.post(path, {"document": "{}"}).status_code == 403
    other = active_version(other_workspace)
    assert client.get(f"/definitions/{other.pk}/").status_code == 404
    assert client.get(f"/definitions/{other.pk}/backtest/").status_code == 404


def test_backtest_panel_and_rescore_job(admin_client: Client, workspace: Any) -> None:
    company = CompanyFactory(workspace=workspace, employee_count=300)
    vp = ContactFactory(workspace=workspace, seniority="vp", company=company)
    TouchpointFactory(workspace=workspace, contact=vp, type="form_fill")
    ContactFactory(workspace=workspace, seniority="")
    definition = active_version(workspace)
    panel = admin_client.get(f"/definitions/{definition.pk}/backtest/?months=3").content.decode()
    assert 'data-mqls="1"' in panel
    assert "MQL → SQL" in panel
    started = admin_client.post("/definitions/rescore/")
    assert started.status_code == 302
    # A small workspace is re-scored in the request; the job page shows the result.
    job = RescoreJob.objects.for_workspace(workspace).order_by("-id").first()
    assert job is not None and job.status == "succeeded"
    done = admin_client.get(started["Location"]).content.decode()
    assert "Finished: scored 2 contacts; 1 moved lead → MQL" in done
    assert "every 1s" not in done


def test_a_large_workspace_leaves_the_rescore_to_the_worker(
    admin_client: Client, workspace: Any, monkeypatch: Any
) -> None:
    from accord.definitions.rescoring import rescore_run
    from accord.web.views import definitions

    monkeypatch.setattr(definitions, "RESCORE_INLINE_LIMIT", 1)
    ContactFactory(workspace=workspace)
    ContactFactory(workspace=workspace)
    active_version(workspace)
    started = admin_client.post("/definitions/rescore/")
    job = RescoreJob.objects.for_workspace(workspace).get()
    waiting = admin_client.get(started["Location"]).content.decode()
    assert "Waiting for the worker" in waiting and 'hx-trigger="every 1s"' in waiting
    rescore_run(workspace.pk, job.pk)
    partial = admin_client.get(started["Location"], headers={"HX-Request": "true"})
    text = partial.content.decode()
    assert "Finished: scored 2 contacts" in text
    assert "<html" not in text and "every 1s" not in text


def test_contact_page_explains_the_score(admin_client: Client, workspace: Any) -> None:
    contact = ContactFactory(workspace=workspace, seniority="vp")
    TouchpointFactory(workspace=workspace, contact=contact, type="form_fill")
    before = admin_client.get(f"/contacts/{contact.pk}/").content.decode()
    assert "No lead definition is active yet" in before
    active_version(workspace)
    page = admin_client.get(f"/contacts/{contact.pk}/").content.decode()
    assert 'id="lead-score"' in page
    assert 'data-rule="senior"' in page and 'data-rule="forms"' in page
    assert "Grade A" in page and "v1" in page


def test_only_drafts_open_in_the_editor_and_a_stale_editor_saves_nothing(
    admin_client: Client,
    viewer: Membership,
    workspace: Any,
) -> None:
    admin_client.post("/definitions/new/", {"document": json.dumps(sample_document())})
    definition = LeadDefinition.objects.for_workspace(workspace).get()
    edit = f"/definitions/{definition.pk}/edit/"
    assert admin_client.get(edit).status_code == 200
    assert _client(viewer).get(edit).status_code == 403  # a role that cannot save it
    # Someone proposes the draft while this editor is open: saving is refused, kept on screen.
    admin_client.post(f"/definitions/{definition.pk}/propose/")
    changed = dict(sample_document(), mql={"fit_min": 10, "engagement_min": 5})
    stale = admin_client.post(edit, {"document": json.dumps(changed), "comment": "late"})
    assert stale.status_code == 409
    page = stale.content.decode()
    assert "v1 is proposed and can no longer be edited" in page
    assert "Nothing was saved." in page and "engagement_min" in page
    definition.refresh_from_db()
    assert definition.comment != "late"
    assert definition.status == DefinitionStatus.PROPOSED
    # Opening the editor of a proposed version leads back to the version, saying why.
    back = admin_client.get(edit, follow=True)
    assert back.redirect_chain == [(f"/definitions/{definition.pk}/", 302)]
    assert "is proposed and can no longer be edited; create a new draft" in back.content.decode()


def test_the_backtest_of_the_active_version_labels_the_previous_one(
    admin_client: Client, workspace: Any
) -> None:
    ContactFactory(workspace=workspace, seniority="vp")
    v1 = active_version(workspace)
    v2 = active_version(workspace, sample_document(half_life_days=30))  # retires v1
    panel = admin_client.get(f"/definitions/{v2.pk}/backtest/?months=3").content.decode()
    assert "v2 (this)</th>" in panel and "v1 (previous)</th>" in panel
    assert "(active)" not in panel
    retired = admin_client.get(f"/definitions/{v1.pk}/backtest/?months=3").content.decode()
    assert "v1 (this)</th>" in retired and "v2 (active)</th>" in retired
    page = admin_client.get(f"/definitions/{v2.pk}/").content.decode()
    assert "under this version and the one it was based on…" in page
