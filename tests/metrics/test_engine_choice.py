"""The engine choice is remembered per workspace for a minute: a dashboard asks once per
metric, and the size check must not run each time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from accord.identity.models import Workspace
from accord.metrics import engine

pytestmark = pytest.mark.django_db


def test_the_choice_is_checked_once_then_remembered(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch,
    django_assert_num_queries: Callable[[int], Any],
) -> None:  # fmt: skip
    monkeypatch.setattr(engine, "_choices", {})
    with django_assert_num_queries(1):
        assert engine.choose_engine(workspace.pk) == "record_store"
    with django_assert_num_queries(0):
        assert engine.choose_engine(workspace.pk) == "record_store"
    # Past the minute, the size is checked again.
    clock = engine.time.monotonic() + engine.CHOICE_SECONDS + 1
    monkeypatch.setattr(engine.time, "monotonic", lambda: clock)
    with django_assert_num_queries(1):
        assert engine.choose_engine(workspace.pk) == "record_store"
