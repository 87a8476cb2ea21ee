"""The API, the `contacts` command and the contact page, over the same services."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accord.crm.models import Contact
from accord.identity.audit_models import AuditEntry
from tests.api.conftest import Api, make_token
from tests.privacy.world import EMAIL, World

pytestmark = pytest.mark.django_db


def test_api_exports_and_erases(world: World, admin: Any, member_factory: Any) -> None:
    api = Api(make_token(admin)[1])
    c = world.contact.pk
    reply = api.get(f"/contacts/{c}/personal-data")
    assert reply.status == 200
    assert (reply.body["schema_version"], reply.body["contact"]["email"]) == (1, EMAIL.lower())
    rep = Api(make_token(member_factory("sales_rep"))[1])
    assert rep.post(f"/contacts/{c}/erase").status == 403
    assert api.post("/contacts/999999/erase").status == 404
    reply = api.post(f"/contacts/{c}/erase")
    assert (reply.status, reply.body["deals_kept"]) == (200, 1)
    assert api.get(f"/contacts/{c}/personal-data").status == 404


def test_cli_exports_to_a_file_and_erases_only_with_yes(
    world: World, admin: Any, tmp_path: Any
) -> None:
    c = str(world.contact.pk)
    target = tmp_path / "out.json"
    who = ["--workspace", "acme", "--user", "admin@acme.example"]
    call_command(
        "contacts", "personal-data", c, *who, "--output", str(target), stderr=io.StringIO()
    )
    assert json.loads(target.read_text())["contact"]["id"] == world.contact.pk
    with pytest.raises(CommandError, match="add --yes"):
        call_command("contacts", "erase", c, *who)
    assert Contact.objects.for_workspace(world.contact.workspace_id).filter(pk=c).exists()
    out = io.StringIO()
    call_command("contacts", "erase", c, *who, "--yes", stdout=out)
    assert out.getvalue().startswith(f"Erased contact {c}. Removed: ledger entries 2,")
    assert not Contact.objects.for_workspace(world.contact.workspace_id).filter(pk=c).exists()
    actions = AuditEntry.objects.for_workspace(world.contact.workspace_id).values_list(
        "action", "source"
    )
    assert {("contact.personal_data_exported", "cli"), ("contact.erased", "cli")} <= set(actions)


def test_contact_page_offers_download_and_erase_to_admins_only(
    world: World, admin: Any, member_factory: Any
) -> None:
    client = Client()
    client.force_login(admin.user)
    page = client.get(f"/contacts/{world.contact.pk}/")
    assert b'id="personal-data"' in page.content and b"data-confirm=" in page.content
    download = client.get(f"/contacts/{world.contact.pk}/personal-data/")
    assert download["Content-Disposition"] == (
        f'attachment; filename="contact-{world.contact.pk}-personal-data.json"'
    )
    assert json.loads(download.content)["contact"]["id"] == world.contact.pk
    viewer = Client()
    viewer.force_login(member_factory("viewer").user)
    assert b'id="personal-data"' not in viewer.get(f"/contacts/{world.contact.pk}/").content
    assert viewer.post(f"/contacts/{world.contact.pk}/erase/").status_code == 403
    erased = client.post(f"/contacts/{world.contact.pk}/erase/")
    assert (erased.status_code, erased["Location"]) == (302, "/contacts/")
    assert client.get(f"/contacts/{world.contact.pk}/").status_code == 404
