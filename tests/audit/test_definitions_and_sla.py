"""Every step of a lead definition's and an SLA agreement's life is in the audit log, with who
did it and the fields before and after; a refused step writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from accord.core.errors import Conflict, PermissionDenied, ValidationFailed
from accord.definitions import services
from accord.definitions.tests.factories import marketing_manager, sales_manager, sample_document
from accord.handoff import agreements
from accord.handoff.tests.factories import sla_document
from accord.identity.actor import Actor, Source
from tests.audit.helpers import actions, logged

pytestmark = pytest.mark.django_db


def test_a_definition_from_draft_to_active_and_back(workspace: Any) -> None:
    mm = Actor.for_membership(marketing_manager(workspace), Source.WEB)
    sm = Actor.for_membership(sales_manager(workspace), Source.API)
    draft = services.definition_create_draft(actor=mm, document=sample_document(), comment="v1")
    changed = sample_document(mql={"fit_min": 25, "engagement_min": 10})
    services.definition_update_draft(actor=mm, definition_id=draft.pk, document=changed)
    services.definition_propose(actor=mm, definition_id=draft.pk)
    services.definition_approve(actor=mm, definition_id=draft.pk)
    services.definition_approve(actor=sm, definition_id=draft.pk)
    services.definition_activate(actor=mm, definition_id=draft.pk)

    entries = logged(workspace, "definition.")
    assert [e["action"] for e in entries] == [
        "definition.draft_created",
        "definition.draft_edited",
        "definition.proposed",
        "definition.approved",
        "definition.approved",
        "definition.activated",
    ]
    mm_name = mm.user.display_name  # type: ignore[union-attr]
    sm_name = sm.user.display_name  # type: ignore[union-attr]
    assert [e["who"] for e in entries] == [f"{mm_name} via web"] * 4 + [
        f"{sm_name} via api",
        f"{mm_name} via web",
    ]
    v1 = ("lead definition", str(draft.pk), "lead definition v1")
    assert {e["object"] for e in entries} == {v1}
    created = entries[0]
    assert created["before"] is None
    assert created["after"] == {
        "version": 1,
        "status": "draft",
        "document": services.validated_document(sample_document()),
        "comment": "v1",
        "based_on_id": None,
    }
    edited = entries[1]
    assert set(edited["before"]) == set(edited["after"]) == {"document"}
    assert edited["before"]["document"]["mql"]["fit_min"] == 20
    assert edited["after"]["document"]["mql"]["fit_min"] == 25
    proposed = entries[2]
    assert (proposed["before"], proposed["after"]) == ({"status": "draft"}, {"status": "proposed"})
    assert (entries[3]["before"], entries[3]["after"], entries[3]["note"]) == (
        {"status": "proposed"},
        {"status": "proposed", "approved_by": "marketing"},
        "Marketing approval",
    )
    assert (entries[4]["before"], entries[4]["after"]) == (
        {"status": "proposed"},
        {"status": "approved", "approved_by": "sales"},
    )
    assert (entries[5]["before"], entries[5]["after"], entries[5]["note"]) == (
        {"status": "approved"},
        {"status": "active"},
        "first active version",
    )

    # A rollback proposes v1's document again as v2; activating v2 retires v1.
    rolled = services.definition_rollback(actor=mm, definition_id=draft.pk)
    services.definition_approve(actor=mm, definition_id=rolled.pk)
    services.definition_approve(actor=sm, definition_id=rolled.pk)
    services.definition_activate(actor=sm, definition_id=rolled.pk)
    later = logged(workspace, "definition.")[6:]
    assert [(e["action"], e["object"][2], e["note"]) for e in later] == [
        ("definition.rolled_back", "lead definition v2", "to v1"),
        ("definition.approved", "lead definition v2", "Marketing approval"),
        ("definition.approved", "lead definition v2", "Sales approval"),
        ("definition.retired", "lead definition v1", "replaced by v2"),
        ("definition.activated", "lead definition v2", "replaces v1"),
    ]
    assert later[0]["after"]["based_on_id"] == draft.pk
    assert later[0]["after"]["status"] == "proposed"
    assert (later[3]["before"], later[3]["after"]) == ({"status": "active"}, {"status": "retired"})


def test_refused_definition_changes_write_no_entry(workspace: Any, member_factory: Any) -> None:
    mm = Actor.for_membership(marketing_manager(workspace), Source.WEB)
    with pytest.raises(ValidationFailed):
        services.definition_create_draft(actor=mm, document={"schema_version": 1, "fit_rules": 3})
    viewer = Actor.for_membership(member_factory("viewer"), Source.WEB)
    with pytest.raises(PermissionDenied):
        services.definition_create_draft(actor=viewer, document=sample_document())
    draft = services.definition_create_draft(actor=mm, document=sample_document())
    with pytest.raises(ValidationFailed):
        services.definition_update_draft(actor=mm, definition_id=draft.pk, document={"x": 1})
    with pytest.raises(Conflict):
        services.definition_activate(actor=mm, definition_id=draft.pk)
    assert actions(workspace) == ["definition.draft_created"]


def test_an_sla_agreement_is_audited_under_its_own_name(workspace: Any) -> None:
    mm = Actor.for_membership(marketing_manager(workspace), Source.WEB)
    sm = Actor.for_membership(sales_manager(workspace), Source.WEB)
    draft = agreements.sla_create_draft(actor=sm, document=sla_document())
    edited = sla_document(sales={"first_touch_hours": 2})
    agreements.sla_update_draft(actor=sm, agreement_id=draft.pk, document=edited)
    agreements.sla_propose(actor=sm, agreement_id=draft.pk)
    agreements.sla_approve(actor=mm, agreement_id=draft.pk)
    agreements.sla_approve(actor=sm, agreement_id=draft.pk)
    agreements.sla_activate(actor=sm, agreement_id=draft.pk)
    entries = logged(workspace, "sla_agreement.")
    assert [e["action"] for e in entries] == [
        "sla_agreement.draft_created",
        "sla_agreement.draft_edited",
        "sla_agreement.proposed",
        "sla_agreement.approved",
        "sla_agreement.approved",
        "sla_agreement.activated",
    ]
    assert entries[0]["object"] == ("SLA agreement", str(draft.pk), "SLA agreement v1")
    assert entries[1]["before"]["document"]["sales"]["first_touch_hours"] == 4
    assert entries[1]["after"]["document"]["sales"]["first_touch_hours"] == 2
    with pytest.raises(ValidationFailed):
        agreements.sla_create_draft(actor=sm, document={"schema_version": 1, "sales": "fast"})
    assert len(logged(workspace)) == 6
