"""Out-of-office entries, survey pulses, the enablement library and webhook subscriptions in
the audit log: who, what, before and after; a refused change writes no entry."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accord.alignment import services as alignment
from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.handoff import routing_settings
from accord.identity.actor import Actor, Source
from accord.identity.models import TeamKind
from accord.identity.tests.factories import MembershipFactory, TeamFactory, UserFactory
from accord.integrations.webhooks import services as webhooks
from accord.marketing import enablement_services as library
from tests.audit.helpers import logged

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HOOK = "https://hooks.acme.example/accord"


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


def test_out_of_office_added_and_removed(workspace: Any, member_factory: Any) -> None:
    rep = Actor.for_membership(member_factory("sales_rep"), Source.WEB, ip="10.0.0.7")
    assert rep.user is not None
    start, end = dt.date(2026, 8, 3), dt.date(2026, 8, 14)
    absence = routing_settings.out_of_office_add(
        actor=rep, user_id=rep.user.pk, starts_on=start, ends_on=end, note="  Summer  "
    )
    routing_settings.out_of_office_remove(actor=rep, absence_id=absence.pk)
    entries = logged(workspace)
    label = f"user {rep.user.pk}: 2026-08-03 to 2026-08-14"
    fields = {
        "user_id": rep.user.pk,
        "starts_on": "2026-08-03",
        "ends_on": "2026-08-14",
        "note": "Summer",
    }
    assert entries == [
        {
            "action": "out_of_office.created",
            "who": f"{rep.user.display_name} via web",
            "user_id": rep.user.pk,
            "source": "web",
            "object": ("out of office", str(absence.pk), label),
            "before": None,
            "after": fields,
            "note": "",
        },
        {
            "action": "out_of_office.deleted",
            "who": f"{rep.user.display_name} via web",
            "user_id": rep.user.pk,
            "source": "web",
            "object": ("out of office", str(absence.pk), label),
            "before": fields,
            "after": None,
            "note": "",
        },
    ]


def test_refused_out_of_office_changes_write_no_entry(
    workspace: Any, other_workspace: Any, member_factory: Any, actor: Actor
) -> None:
    rep = Actor.for_membership(member_factory("sales_rep"), Source.WEB)
    other = member_factory("sales_rep")
    assert rep.user is not None
    start = dt.date(2026, 8, 3)
    with pytest.raises(ValidationFailed):  # ends before it starts
        routing_settings.out_of_office_add(
            actor=rep, user_id=rep.user.pk, starts_on=start, ends_on=start - dt.timedelta(days=1)
        )
    with pytest.raises(PermissionDenied):  # a rep records only their own absences
        routing_settings.out_of_office_add(
            actor=rep, user_id=other.user.pk, starts_on=start, ends_on=start
        )
    theirs = routing_settings.out_of_office_add(
        actor=actor, user_id=other.user.pk, starts_on=start, ends_on=start
    )
    with pytest.raises(Conflict):  # overlaps
        routing_settings.out_of_office_add(
            actor=actor, user_id=other.user.pk, starts_on=start, ends_on=start
        )
    with pytest.raises(PermissionDenied):
        routing_settings.out_of_office_remove(actor=rep, absence_id=theirs.pk)
    foreign = Actor.for_membership(member_factory("admin", ws=other_workspace), Source.WEB)
    with pytest.raises(NotFound):
        routing_settings.out_of_office_remove(actor=foreign, absence_id=theirs.pk)
    assert [e["action"] for e in logged(workspace)] == ["out_of_office.created"]
    assert logged(other_workspace) == []


def _two_teams(workspace: Any) -> None:
    for kind, role in ((TeamKind.SALES, "sales_rep"), (TeamKind.MARKETING, "marketer")):
        team = TeamFactory(workspace=workspace, name=f"{kind} team", kind=kind)
        MembershipFactory(workspace=workspace, user=UserFactory(), role=role, team=team)


def test_pulses_opened_closed_and_closed_by_the_schedule(workspace: Any, actor: Actor) -> None:
    _two_teams(workspace)
    opened = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    pulse = alignment.pulse_open(actor=actor, title="March pulse", days=14, now=opened)
    closed_at = opened + dt.timedelta(days=3)
    alignment.pulse_close(actor=actor, pulse_id=pulse.pk, now=closed_at)
    alignment.pulse_close(actor=actor, pulse_id=pulse.pk)  # closed already: no change
    second = alignment.pulse_open(actor=actor, days=1, now=closed_at)
    ends = closed_at + dt.timedelta(days=1)
    assert alignment.pulses_tend(now=ends + dt.timedelta(hours=1))["closed"] == 1
    assert alignment.pulses_tend(now=ends + dt.timedelta(days=1))["closed"] == 0

    entries = logged(workspace)
    assert [(e["action"], e["who"], e["object"][1]) for e in entries] == [
        ("pulse.opened", f"{actor.user.display_name} via api", str(pulse.pk)),  # type: ignore[union-attr]
        ("pulse.closed", f"{actor.user.display_name} via api", str(pulse.pk)),  # type: ignore[union-attr]
        ("pulse.opened", f"{actor.user.display_name} via api", str(second.pk)),  # type: ignore[union-attr]
        ("pulse.closed", "pulse schedule via system", str(second.pk)),
    ]
    assert entries[0]["object"][2] == "March pulse"
    assert entries[0]["after"] == {
        "title": "March pulse",
        "version_id": pulse.version_id,
        "opened_at": "2026-03-02T09:00:00+00:00",
        "closes_at": "2026-03-16T09:00:00+00:00",
        "asked": 2,
    }
    assert (entries[1]["before"], entries[1]["after"]) == (
        {"status": "open"},
        {"status": "closed", "closed_at": "2026-03-05T09:00:00+00:00"},
    )
    assert (entries[3]["user_id"], entries[3]["source"]) == (None, "system")
    assert (entries[3]["before"], entries[3]["after"]) == (
        {"status": "open"},
        {"status": "closed", "closed_at": "2026-03-06T09:00:00+00:00"},
    )


def test_refused_pulses_write_no_entry(
    workspace: Any, other_workspace: Any, actor: Actor, member_factory: Any
) -> None:
    viewer = Actor.for_membership(member_factory("viewer"), Source.WEB)
    with pytest.raises(Conflict):  # nobody in a sales or marketing team yet
        alignment.pulse_open(actor=actor)
    _two_teams(workspace)
    with pytest.raises(ValidationFailed):
        alignment.pulse_open(actor=actor, days=0)
    with pytest.raises(PermissionDenied):
        alignment.pulse_open(actor=viewer)
    pulse = alignment.pulse_open(actor=actor)
    with pytest.raises(Conflict):  # one open at a time
        alignment.pulse_open(actor=actor)
    with pytest.raises(PermissionDenied):
        alignment.pulse_close(actor=viewer, pulse_id=pulse.pk)
    foreign = Actor.for_membership(member_factory("admin", ws=other_workspace), Source.WEB)
    with pytest.raises(NotFound):
        alignment.pulse_close(actor=foreign, pulse_id=pulse.pk)
    assert [e["action"] for e in logged(workspace)] == ["pulse.opened"]
    assert logged(other_workspace) == []


def test_library_assets_created_changed_archived_and_versioned(
    workspace: Any, actor: Actor
) -> None:
    asset = library.asset_create(
        actor=actor,
        values={"title": "Pricing sheet", "kind": "file", "stages": "proposal", "note": "v1"},
        file_name="pricing.pdf",
        chunks=[PDF],
    )
    first = asset.versions.get()
    link = library.asset_create(
        actor=actor,
        values={"title": "Case study", "kind": "link", "url": "https://acme.example/cs"},
    )
    library.asset_update(actor=actor, asset_id=asset.pk, values={"title": "Pricing 2026"})
    library.asset_update(actor=actor, asset_id=asset.pk, values={"title": "Pricing 2026"})  # same
    second = library.version_add(
        actor=actor, asset_id=asset.pk, file_name="pricing-v2.pdf", chunks=[PDF + b"\n"]
    )
    library.version_add(actor=actor, asset_id=link.pk, url="https://acme.example/cs2", note="new")
    library.asset_update(actor=actor, asset_id=asset.pk, values={"archived": True})
    library.asset_update(actor=actor, asset_id=asset.pk, values={"archived": False})

    entries = logged(workspace)
    assert [(e["action"], e["object"][:2]) for e in entries] == [
        ("asset.created", ("asset", str(asset.pk))),
        ("asset.created", ("asset", str(link.pk))),
        ("asset.changed", ("asset", str(asset.pk))),
        ("asset.version_added", ("asset", str(asset.pk))),
        ("asset.version_added", ("asset", str(link.pk))),
        ("asset.archived", ("asset", str(asset.pk))),
        ("asset.restored", ("asset", str(asset.pk))),
    ]
    assert entries[0]["after"] == {
        "title": "Pricing sheet",
        "description": "",
        "kind": "file",
        "stages": ["proposal"],
        "personas": [],
        "industries": [],
        "owner_id": actor.user.pk,  # type: ignore[union-attr]
        "archived": False,
        "version": {
            "number": 1,
            "url": "",
            "file_name": "pricing.pdf",
            "size": len(PDF),
            "sha256": first.sha256,
            "content_type": "application/pdf",
            "note": "v1",
        },
    }
    assert entries[1]["after"]["version"]["url"] == "https://acme.example/cs"
    assert (entries[2]["before"], entries[2]["after"]) == (
        {"title": "Pricing sheet"},
        {"title": "Pricing 2026"},
    )
    assert entries[3]["after"] == {
        "number": 2,
        "url": "",
        "file_name": "pricing-v2.pdf",
        "size": len(PDF) + 1,
        "sha256": second.sha256,
        "content_type": "application/pdf",
        "note": "",
    }
    assert entries[4]["after"]["url"] == "https://acme.example/cs2"
    assert (entries[5]["before"], entries[5]["after"]) == ({"archived": False}, {"archived": True})
    assert (entries[6]["before"], entries[6]["after"]) == ({"archived": True}, {"archived": False})


def test_refused_library_changes_write_no_entry(
    workspace: Any, other_workspace: Any, actor: Actor, member_factory: Any
) -> None:
    rep = Actor.for_membership(member_factory("sales_rep"), Source.WEB)
    with pytest.raises(PermissionDenied):
        library.asset_create(actor=rep, values={"title": "Mine", "kind": "link", "url": HOOK})
    with pytest.raises(ValidationFailed):  # not an allowed file
        library.asset_create(
            actor=actor, values={"title": "Tool", "kind": "file"}, file_name="x.exe", chunks=[b"MZ"]
        )
    asset = library.asset_create(actor=actor, values={"title": "A", "kind": "link", "url": HOOK})
    with pytest.raises(ValidationFailed):
        library.asset_update(actor=actor, asset_id=asset.pk, values={"title": ""})
    with pytest.raises(ValidationFailed):
        library.version_add(actor=actor, asset_id=asset.pk, url="ftp://acme.example/x")
    with pytest.raises(PermissionDenied):
        library.version_add(actor=rep, asset_id=asset.pk, url=HOOK)
    foreign = Actor.for_membership(member_factory("admin", ws=other_workspace), Source.WEB)
    with pytest.raises(NotFound):
        library.asset_update(actor=foreign, asset_id=asset.pk, values={"archived": True})
    assert [e["action"] for e in logged(workspace)] == ["asset.created"]
    assert logged(other_workspace) == []


def test_webhooks_created_changed_paused_rotated_and_deleted(workspace: Any, actor: Actor) -> None:
    hook, secret = webhooks.webhook_create(
        actor=actor, values={"url": HOOK, "events": ["handoff.assigned"], "description": "CRM"}
    )
    assert secret
    pk = hook.pk
    webhooks.webhook_update(actor=actor, subscription_id=pk, values={"events": ["*"]})
    webhooks.webhook_update(actor=actor, subscription_id=pk, values={"events": ["*"]})  # same
    webhooks.webhook_update(actor=actor, subscription_id=pk, values={"active": False})
    webhooks.webhook_update(actor=actor, subscription_id=pk, values={"active": True})
    _, new_secret = webhooks.webhook_rotate_secret(actor=actor, subscription_id=pk)
    webhooks.webhook_delete(actor=actor, subscription_id=pk)

    entries = logged(workspace)
    assert [(e["action"], e["object"]) for e in entries] == [
        (action, ("webhook subscription", str(pk), HOOK))
        for action in (
            "webhook.created",
            "webhook.changed",
            "webhook.paused",
            "webhook.resumed",
            "webhook.secret_rotated",
            "webhook.deleted",
        )
    ]
    fields = {
        "url": HOOK,
        "description": "CRM",
        "events": ["handoff.assigned"],
        "kind": "generic",
        "active": True,
    }
    assert (entries[0]["before"], entries[0]["after"]) == (None, fields)
    assert (entries[1]["before"], entries[1]["after"]) == (
        {"events": ["handoff.assigned"]},
        {"events": ["*"]},
    )
    assert (entries[2]["before"], entries[2]["after"]) == ({"active": True}, {"active": False})
    assert (entries[3]["before"], entries[3]["after"]) == ({"active": False}, {"active": True})
    assert (entries[4]["before"], entries[4]["after"]) == (None, None)
    assert (entries[5]["before"], entries[5]["after"]) == ({**fields, "events": ["*"]}, None)
    # Neither secret, nor the salt they derive from, is anywhere in the log.
    text = repr(entries)
    assert secret not in text and new_secret not in text and hook.salt not in text


def test_refused_webhook_changes_write_no_entry(
    workspace: Any, other_workspace: Any, actor: Actor, member_factory: Any
) -> None:
    manager = Actor.for_membership(member_factory("manager"), Source.WEB)
    with pytest.raises(PermissionDenied):
        webhooks.webhook_create(actor=manager, values={"url": HOOK, "events": ["*"]})
    with pytest.raises(ValidationFailed):
        webhooks.webhook_create(actor=actor, values={"url": "ftp://x.example", "events": ["*"]})
    hook, _ = webhooks.webhook_create(actor=actor, values={"url": HOOK, "events": ["*"]})
    with pytest.raises(ValidationFailed):
        webhooks.webhook_update(actor=actor, subscription_id=hook.pk, values={"events": []})
    with pytest.raises(PermissionDenied):
        webhooks.webhook_update(actor=manager, subscription_id=hook.pk, values={"active": False})
    with pytest.raises(PermissionDenied):
        webhooks.webhook_rotate_secret(actor=manager, subscription_id=hook.pk)
    with pytest.raises(PermissionDenied):
        webhooks.webhook_delete(actor=manager, subscription_id=hook.pk)
    foreign = Actor.for_membership(member_factory("admin", ws=other_workspace), Source.WEB)
    with pytest.raises(NotFound):
        webhooks.webhook_delete(actor=foreign, subscription_id=hook.pk)
    with pytest.raises(NotFound):
        webhooks.webhook_rotate_secret(actor=foreign, subscription_id=hook.pk)
    assert [e["action"] for e in logged(workspace)] == ["webhook.created"]
    assert logged(other_workspace) == []


def test_a_pulse_results_export_is_recorded(
    workspace: Any, other_workspace: Any, actor: Actor, member_factory: Any
) -> None:
    from django.test import Client
    from django.urls import reverse

    _two_teams(workspace)
    pulse = alignment.pulse_open(actor=actor, title="March pulse")
    viewer = member_factory("viewer")
    client = Client()
    client.force_login(viewer.user)
    url = reverse("web:alignment_pulse_export", args=[pulse.pk])
    assert client.get(url, REMOTE_ADDR="198.51.100.8").status_code == 200
    [entry] = logged(workspace, "export.")
    assert entry == {
        "action": "export.requested",
        "who": f"{viewer.user.display_name} via web",
        "user_id": viewer.user.pk,
        "source": "web",
        "object": ("pulse", str(pulse.pk), "March pulse"),
        "before": None,
        "after": {"list": "pulse results", "filters": {"pulse_id": pulse.pk}},
        "note": "",
    }
    stranger = Client()
    stranger.force_login(member_factory("admin", ws=other_workspace).user)
    assert stranger.get(url).status_code == 404
    assert logged(other_workspace, "export.") == []
    assert len(logged(workspace, "export.")) == 1


def test_integration_keys_created_and_revoked(workspace: Any, actor: Actor) -> None:
    from accord.integrations.inbound.keys import integration_key_create, integration_key_revoke

    key, secret = integration_key_create(actor=actor, name="Forms", require_signature=True)
    integration_key_revoke(actor=actor, key_pk=key.pk)
    integration_key_revoke(actor=actor, key_pk=key.pk)  # revoked already: nothing to record
    entries = logged(workspace)
    assert [(e["action"], e["object"]) for e in entries] == [
        ("integration_key.created", ("integration key", str(key.pk), "Forms")),
        ("integration_key.revoked", ("integration key", str(key.pk), "Forms")),
    ]
    assert entries[0]["after"] == {"name": "Forms", "key_id": key.key_id,
                                   "require_signature": True}  # fmt: skip
    assert secret not in str(entries) and key.salt not in str(entries)
    assert entries[1]["before"] == {"revoked_at": None}
    assert entries[1]["after"]["revoked_at"]
