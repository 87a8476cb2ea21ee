"""The alignment scorecard on demo data: the perception gap the generator planted (sellers
call marketing's leads garbage, marketers do not) is the widest clear gap, the weakest
behavioural component is named, and both come with practices — on the page, over the API and
from the CLI."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from accord.alignment.models import Pulse, Response
from accord.alignment.practices import PRACTICES
from accord.alignment.scorecard import scorecard
from accord.demo.survey_setup import GAP_ITEM, PULSE_DAYS_AGO
from accord.identity.models import Membership, Role

SEED = 17
CONTACTS = 3_000
pytestmark = pytest.mark.django_db


def test_the_scorecard_shows_the_planted_gap_and_the_weakest_component(  # type: ignore[no-untyped-def]
    demo, settings: Any, tmp_path: Any
) -> None:
    settings.DATA_DIR = tmp_path
    ws = demo.dataset.workspace
    assert Pulse.objects.for_workspace(ws).count() == len(PULSE_DAYS_AGO)
    # Every response is anonymous: no user on it, and the pulse's opening as its only time.
    for response in Response.objects.for_workspace(ws).select_related("pulse"):
        assert response.created_at == response.pulse.opened_at
    card = scorecard(ws.pk)
    assert card.pulse is not None and card.previous is not None
    widest = card.gaps[0]
    assert widest.key == GAP_ITEM
    assert widest.gap is not None and widest.gap.clear
    # A sign of misalignment: sellers agree (a low score), marketers disagree (a high one).
    assert widest.gap.value < -40
    weakest = card.weakest_component
    assert weakest is not None and weakest.score is not None
    scored = [c for c in card.index.components if c.score is not None]
    assert weakest.score == min(c.score for c in scored if c.score is not None)
    area = next(a for a in card.areas if a.area == weakest.spec.area)
    assert area.practices == PRACTICES[weakest.spec.area]
    gap_area = next(a for a in card.areas if a.area == widest.area)
    # Weakest area first.
    combined = [a.combined for a in card.areas if a.combined is not None]
    assert combined == sorted(combined)

    manager = Membership.objects.filter(workspace=ws, role=Role.MANAGER).select_related("user")[0]
    client = Client()
    client.force_login(manager.user)
    page = client.get("/alignment/").content.decode()
    assert f'data-item="{GAP_ITEM}"' in page
    assert f'id="weakest-component">{weakest.spec.title}<' in page.replace("&#x27;", "'")
    assert PRACTICES[weakest.spec.area][0].replace("'", "&#x27;") in page
    assert gap_area.title in page

    body = client.get("/api/v1/alignment/scorecard")
    assert body.status_code == 200, body.content
    document = body.json()
    assert document["perception_gaps"][0]["key"] == GAP_ITEM
    assert document["weakest_component"] == weakest.spec.key

    out = io.StringIO()
    call_command("alignment", "scorecard", "--workspace", ws.slug, "--format", "json",
                 stdout=out)  # fmt: skip
    assert json.loads(out.getvalue())["weakest_component"] == weakest.spec.key
