"""`accord demo` end to end (with --no-serve, or with `serve` replaced by a recorder)."""

from __future__ import annotations

import json
import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.crm.models import Contact
from accord.demo.management.commands import demo as demo_command
from accord.demo.models import DemoDataset
from accord.identity.models import Workspace
from tests.demo.conftest import FAST_HASHERS, as_of_yesterday

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fast(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.DATA_DIR = tmp_path


def _demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_generates_and_prints_the_summary_and_login(tmp_path) -> None:  # type: ignore[no-untyped-def]
    as_of = as_of_yesterday()
    text = _demo("--no-serve", "--contacts", "400", "--seed", "5", "--as-of", as_of.isoformat())
    workspace = Workspace.objects.get(slug="demo")
    dataset = DemoDataset.objects.for_workspace(workspace).get()

    assert "Demo dataset generated" in text
    assert re.search(r"│ Contacts +│ +400 │", text)
    assert f"{dataset.summary['ledger_entries']:,}" in text
    assert "revops@northwind.example" in text and "accord-demo" in text
    assert "http://127.0.0.1:8000/" in text
    assert Contact.objects.for_workspace(workspace).count() == 400
    assert (dataset.seed, dataset.contacts) == (5, 400)
    assert dataset.summary["as_of"] == as_of.isoformat()
    written = json.loads((tmp_path / "demo-parameters.json").read_text())
    assert (written["seed"], written["contacts"]) == (5, 400)


def test_running_it_again_reuses_the_dataset_and_fresh_replaces_it() -> None:
    _demo("--no-serve", "--contacts", "300")
    first = Workspace.objects.get(slug="demo").pk
    again = _demo("--no-serve", "--contacts", "300")
    same = Workspace.objects.get(slug="demo").pk
    fresh = _demo("--no-serve", "--contacts", "300", "--fresh")

    assert "reused (same seed and size; --fresh regenerates)" in again
    assert same == first
    assert "Demo dataset generated" in fresh
    assert Workspace.objects.get(slug="demo").pk != first


def test_it_serves_the_app_after_generating(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(name: str, *args: Any, **options: Any) -> None:
        calls.append((name, options))
        if name == "migrate":
            call_command(name, *args, **options)

    monkeypatch.setattr(demo_command, "call_command", record)
    text = _demo("--contacts", "200", "--host", "0.0.0.0", "--port", "8123")  # noqa: S104

    assert [name for name, _ in calls] == ["migrate", "serve"]
    assert calls[1][1] == {  # the worker beside the app: web imports and SLA sweeps run
        "host": "0.0.0.0", "port": 8123, "no_migrate": True, "with_worker": True,  # noqa: S104
    }  # fmt: skip
    assert "http://localhost:8123/" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--contacts", "0"], "Use between 1 and 5,000,000 contacts."),
        (
            ["--as-of", "yesterday"],
            "Error: argument --as-of: 'yesterday' is not an ISO date or date-time.",
        ),
        (["--as-of", "2999-01-01"], "The demo data cannot end in the future."),
    ],
)
def test_bad_options_are_command_errors(args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as error:
        _demo("--no-serve", *args)

    assert str(error.value) == message
    assert Workspace.objects.filter(slug="demo").count() == 0
