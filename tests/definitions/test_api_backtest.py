"""Back-test and re-score through the API and the CLI: shapes, counts, errors, permissions."""

from __future__ import annotations

import datetime as dt
import json
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accord.crm.tests.factories import CompanyFactory, ContactFactory
from accord.definitions.models import RescoreJob
from accord.definitions.tests.factories import active_version, sample_document
from accord.identity.models import Role
from accord.marketing.tests.factories import TouchpointFactory
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db

EVERYONE: dict[str, Any] = {"schema_version": 1, "mql": {"fit_min": 0, "engagement_min": 0}}


@pytest.fixture
def history(workspace: Any) -> dict[str, Any]:
    """Six contacts created 40 days ago: two VPs with form fills (qualify under the sample
    document), four others; everyone qualifies under EVERYONE (active, v1)."""
    created = timezone.now() - dt.timedelta(days=40)
    company = CompanyFactory(workspace=workspace, employee_count=300)
    vps = [
        ContactFactory(workspace=workspace, seniority="vp", company=company, created_at=created)
        for _ in range(2)
    ]
    others = [
        ContactFactory(workspace=workspace, seniority="", created_at=created) for _ in range(4)
    ]
    for contact in vps:
        TouchpointFactory(
            workspace=workspace,
            contact=contact,
            type="form_fill",
            occurred_at=created + dt.timedelta(days=3),
        )
    active = active_version(workspace, EVERYONE)
    return {"vps": vps, "others": others, "active": active}


def test_backtest_of_a_draft_against_the_active_version(api: Api, history: Any) -> None:
    draft = api.post("/definitions", {"document": sample_document()})
    reply = api.get(f"/definitions/{draft.body['id']}/backtest", months=3)
    assert reply.status == 200, reply.body
    body = reply.body
    assert (body["contacts"], len(body["months"])) == (6, 3)
    assert (body["proposed"]["label"], body["active"]["label"]) == ("v2", "v1")
    assert (body["proposed"]["mqls"], body["active"]["mqls"]) == (2, 6)
    assert (body["gained"], body["lost"]) == (0, 4)
    assert {c["id"] for c in body["lost_examples"]} == {c.pk for c in history["others"]}
    assert body["proposed"]["rates"]["sql"] == {
        "successes": 0,
        "n": 2,
        "value": 0.0,
        "low": 0.0,
        "high": pytest.approx(0.6576, abs=1e-4),
    }


def test_what_if_validates_and_writes_nothing(api: Api, history: Any) -> None:
    bad = api.post("/definitions/what-if", {"document": {"mql": {"fit_min": -1}}, "months": 3})
    assert bad.status == 400
    assert "document.mql.fit_min" in bad.fields
    good = api.post("/definitions/what-if", {"document": sample_document(), "months": 3})
    assert (good.status, good.body["proposed"]["label"], good.body["proposed"]["mqls"]) == (
        200,
        "what-if",
        2,
    )
    too_long = api.get(f"/definitions/{history['active'].pk}/backtest", months=40)
    assert too_long.status == 400


def test_backtest_is_scoped_to_the_workspace(other_api: Api, history: Any) -> None:
    assert other_api.get(f"/definitions/{history['active'].pk}/backtest").status == 404


def test_rescore_jobs_through_the_api(api: Api, api_as: Any, history: Any) -> None:
    workspace = history["active"].workspace
    RescoreJob.objects.for_workspace(workspace).delete()
    assert api_as(Role.VIEWER).post("/rescore-jobs").status == 403
    queued = api.post("/rescore-jobs")
    assert queued.status == 202
    assert (queued.body["status"], queued.body["definition_version"]) == ("queued", 1)
    got = api.get(f"/rescore-jobs/{queued.body['id']}")
    assert (got.status, got.body["percent"]) == (200, 0)
    assert api.get("/rescore-jobs/999999").status == 404


def test_backtest_command(history: Any, tmp_path: Path) -> None:
    out = StringIO()
    call_command(
        "backtest", "--workspace", "acme", "--definition", "1", "--months", "2", stdout=out
    )
    text = out.getvalue()
    # The two calendar months up to now, whatever the year.
    assert re.search(r"Replayed 6 contacts over (\d{4})-(\d{2}) to (\d{4})-(\d{2}) ", text)
    assert "→ SQL" in text
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps(sample_document()), encoding="utf-8")
    out = StringIO()
    call_command(
        "backtest", "--workspace", "acme", "--file", str(doc), "--format", "json", stdout=out
    )
    data = json.loads(out.getvalue())
    assert (data["proposed"]["mqls"], data["active"]["mqls"], data["lost"]) == (2, 6, 4)
    doc.write_text('{"mql": {}}', encoding="utf-8")
    with pytest.raises(CommandError, match=r"mql\.fit_min"):
        call_command("backtest", "--workspace", "acme", "--file", str(doc))
    with pytest.raises(CommandError, match="no lead definition v9"):
        call_command("backtest", "--workspace", "acme", "--definition", "9")


def test_the_active_version_is_compared_with_its_previous_one(api: Api, history: Any) -> None:
    v1 = history["active"]
    v2 = active_version(v1.workspace, sample_document())  # retires v1, based on it
    reply = api.get(f"/definitions/{v2.pk}/backtest", months=3)
    assert reply.status == 200, reply.body
    body = reply.body
    assert (body["proposed"]["label"], body["active"]["label"], body["baseline_role"]) == (
        "v2",
        "v1",
        "previous",
    )
    assert (body["proposed"]["mqls"], body["active"]["mqls"]) == (2, 6)
    # Any other version is compared with the active one, and says so.
    draft = api.post("/definitions", {"document": EVERYONE})
    other = api.get(f"/definitions/{draft.body['id']}/backtest", months=3).body
    assert (other["active"]["label"], other["baseline_role"]) == ("v2", "active")
    retired = api.get(f"/definitions/{v1.pk}/backtest", months=3).body
    assert (retired["proposed"]["label"], retired["active"]["label"]) == ("v1", "v2")
    assert retired["baseline_role"] == "active"


def test_nothing_to_compare_with_has_no_baseline_role(api: Api, workspace: Any) -> None:
    reply = api.post("/definitions/what-if", {"document": sample_document(), "months": 3})
    assert (reply.status, reply.body["active"], reply.body["baseline_role"]) == (200, None, None)
    first = active_version(workspace)  # the first version: based on nothing
    alone = api.get(f"/definitions/{first.pk}/backtest", months=3).body
    assert (alone["active"], alone["baseline_role"]) == (None, None)


def test_the_openapi_document_describes_the_baseline(api: Api) -> None:
    schema = api.client.get("/api/v1/openapi.json").json()["components"]["schemas"]["BacktestOut"]
    assert schema["properties"]["baseline_role"]["description"].startswith(
        "What the compared version (`active`) is"
    )
    assert "based on" in schema["properties"]["active"]["description"]
