"""User text is escaped everywhere it is shown: every free-text field of every record of a
workspace (and its members' names) is set to a script payload, then every page that shows
records is rendered and must hold the payload only in its escaped form. A few pages are also
loaded into Chromium, which must not open a dialog."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.db import DatabaseError, models, transaction
from django.db.models import F, Value
from django.db.models.functions import Cast, Concat
from django.test import Client

from tests.security.conftest import World
from tests.security.permission_table import TABLE
from tests.security.records import params_for

PAYLOAD = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"
RAW = ("<script>alert(1)", "<img src=x onerror", "onerror=alert(1)>")
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"

# Fields whose value is a code the application looks up or validates, not text people write.
CODE_FIELDS = {
    "key", "slug", "email", "domain", "currency", "timezone", "status", "kind", "stage",
    "lifecycle_stage", "from_stage", "to_stage", "source", "type", "channel", "external_id",
    "event", "url", "salt", "key_id", "storage_name", "content_type", "sha256", "file_sha256",
    "token", "prefix", "hashed_secret", "secret_hash", "password", "team_kind", "outcome",
    "grade", "area", "origin", "code", "stored_path", "mode", "on_match", "record_type",
    "country", "scope", "unit", "model", "metric", "side", "method", "segment", "variant",
    "sla_state", "chosen_by", "engine", "cadence", "weekday", "role", "digest",
}  # fmt: skip


def _text_fields(model: type[models.Model]) -> list[str]:
    names = []
    for field in model._meta.concrete_fields:
        if not isinstance(field, (models.CharField, models.TextField)):
            continue
        if field.choices or field.name in CODE_FIELDS or field.name.startswith("utm_"):
            continue
        if isinstance(field, (models.EmailField, models.URLField, models.SlugField)):
            continue
        names.append(field.name)
    return names


def plant_payload(world: World) -> dict[str, int]:
    """Set every free-text field of the home workspace's records to the payload; the number
    of fields per model."""
    planted: dict[str, int] = {}
    for model in apps.get_models():
        manager = getattr(model, "objects", None)
        if not hasattr(manager, "for_workspace"):
            continue
        fields = _text_fields(model)
        if not fields:
            continue
        values = {}
        for name in fields:
            # The payload then the row's id: unique, for the fields that must be.
            max_length = model._meta.get_field(name).max_length
            text = PAYLOAD[: max(0, max_length - 21)] if max_length else PAYLOAD
            values[name] = Concat(Value(text + " "), Cast(F("pk"), models.CharField()))
        try:
            with transaction.atomic():
                model.objects.for_workspace(world.home).update(**values)  # type: ignore[attr-defined]
        except DatabaseError:
            continue  # append-only tables (the ledger, the audit log) refuse updates
        planted[model.__name__] = len(fields)
    user_model = apps.get_model("identity", "User")
    member_ids = [m.user_id for m in world.members.values()]
    user_model.objects.filter(pk__in=member_ids).update(
        full_name=Concat(Value(PAYLOAD + " "), Cast(F("pk"), models.CharField()))
    )
    apps.get_model("identity", "Workspace").objects.filter(pk=world.home.pk).update(name=PAYLOAD)
    return planted


def _pages() -> list[Any]:
    seen: set[tuple[str, str | None]] = set()
    pages = []
    for row in TABLE:
        if row.is_api or row.method != "GET" or row.scope not in ("none", "ws"):
            continue
        if not row.found or (row.path, row.kind) in seen or row.path == "/login/":
            continue
        seen.add((row.path, row.kind))
        pages.append(row)
    return pages


PAGES = _pages()


@pytest.fixture(scope="module")
def planted(world: World, django_db_blocker: Any) -> dict[str, int]:
    with django_db_blocker.unblock():
        return plant_payload(world)


def _render(row: Any, world: World) -> tuple[int, str, str]:
    client = Client()
    client.force_login(world.members["admin"].user)
    params = dict(row.fixed)
    if row.kind is not None:
        params.update(params_for(row.kind, world.home, "ws", world.members["admin"]))
    response = client.get(row.path.format(**params), follow=True)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, response.get("Content-Type", ""), body.decode("utf-8", "replace")


def test_the_payload_reached_the_records(planted: dict[str, int]) -> None:
    for model in ("Contact", "Company", "Deal", "Activity", "Campaign", "Experiment",
                  "ActionItem", "Meeting", "Asset", "CalendarEntry", "Goal", "RejectionReason",
                  "Handoff", "Decision", "SurveyVersion"):  # fmt: skip
        assert planted.get(model, 0) >= 1 or model == "SurveyVersion", model


@pytest.mark.parametrize("row", PAGES, ids=[f"{r.path} [{r.kind or '-'}]" for r in PAGES])
def test_user_text_is_inert_on_every_page(row: Any, world: World, planted: Any, db: Any) -> None:
    status, content_type, html = _render(row, world)
    assert status == 200, row.path
    if not content_type.startswith("text/html"):
        return  # CSV and file downloads are not rendered by a browser as a page
    leaks = [raw for raw in RAW if raw in html]
    assert leaks == [], f"{row.path}: unescaped {leaks}"


def test_the_payload_is_shown_escaped(world: World, planted: Any, db: Any) -> None:
    """The check above is not vacuous: pages do show the planted text, escaped."""
    shown = []
    for path in ("/contacts/", "/companies/", "/deals/", "/campaigns/", "/experiments/",
                 "/calendar/", "/enablement/", "/goals/", "/meetings/"):  # fmt: skip
        _, _, html = _render(next(r for r in PAGES if r.path == path), world)
        if ESCAPED in html:
            shown.append(path)
    assert len(shown) >= 7, shown


@pytest.mark.parametrize("path", ["/contacts/", "/deals/", "/handoffs/dispositions/"])
def test_chromium_opens_no_dialog(path: str, world: World, planted: Any, db: Any) -> None:
    from playwright.sync_api import sync_playwright

    from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

    _, _, html = _render(next(r for r in PAGES if r.path == path), world)
    assert ESCAPED in html or "&lt;img src=x" in html or "&lt;script" in html
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.set_content(html, wait_until="load")
            page.wait_for_timeout(300)
            injected = page.evaluate(
                "() => Array.from(document.querySelectorAll('img[src=\"x\"]')).length"
            )
        finally:
            browser.close()
    assert dialogs == []
    assert injected == 0
