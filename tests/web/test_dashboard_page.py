"""The dashboard page: empty periods and bad ranges say so plainly; every member can read it."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


def test_an_empty_period_says_not_enough_data(admin_client: Any) -> None:
    response = admin_client.get("/dashboard/?start=2001-01-01&end=2001-01-31&view=period")
    assert response.status_code == 200
    assert "Not enough data: no contacts moved between stages in this period" in (
        response.content.decode()
    )


def test_a_backwards_range_is_a_clear_400(admin_client: Any) -> None:
    response = admin_client.get("/dashboard/?start=2026-05-01&end=2026-03-01")
    assert response.status_code == 400
    assert "start must be before end" in response.content.decode()


def test_unknown_choices_are_refused_not_crashed(admin_client: Any) -> None:
    response = admin_client.get("/dashboard/?by=colour&view=sideways")
    assert response.status_code == 400
    assert "Input should be" in response.content.decode()


def test_a_viewer_reads_it_and_anonymous_is_sent_to_login(
    login: Any, viewer: Any, client: Any
) -> None:
    assert client.get("/dashboard/").status_code == 302
    assert login(viewer).get("/dashboard/").status_code == 200
