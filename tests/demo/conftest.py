"""A demo dataset generated once per module, read by the tests that only look at it."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import pytest
from django.test import override_settings
from django.utils import timezone

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def as_of_yesterday() -> dt.datetime:
    """A fixed end for the data: the start of the previous hour of yesterday (never future).
    ACCORD_TEST_DEMO_AS_OF (ISO 8601) pins it, to try the tests at another hour or weekday."""
    if pinned := os.environ.get("ACCORD_TEST_DEMO_AS_OF"):
        return dt.datetime.fromisoformat(pinned)
    return (timezone.now() - dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)


@pytest.fixture(scope="module")
def fast_demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with override_settings(
        PASSWORD_HASHERS=FAST_HASHERS, DATA_DIR=tmp_path_factory.mktemp("demo-data")
    ):
        yield


@pytest.fixture(scope="module")
def demo(  # type: ignore[no-untyped-def]
    request, django_db_setup, django_db_blocker, fast_demo_settings
):
    """`demo_generate` with the module's SEED and CONTACTS, committed; deleted afterwards."""
    from accord.demo.loader import demo_generate
    from accord.demo.reset import demo_workspace_delete
    from accord.identity.models import User

    seed = getattr(request.module, "SEED", 42)
    contacts = getattr(request.module, "CONTACTS", 2_000)
    # A module whose check is statistical pins the end date too, so that it reads the same
    # data every day (the data moves with the date the demo ends on).
    as_of = getattr(request.module, "AS_OF", None) or as_of_yesterday()
    with django_db_blocker.unblock():
        result = demo_generate(seed=seed, contacts=contacts, as_of=as_of)
        yield result
        demo_workspace_delete(result.dataset.workspace)
        User.objects.filter(email__endswith="@northwind.example").delete()
