"""The definition write path: drafts, immutability, two-sided approval, activation, rollback."""

from __future__ import annotations

import pytest

from accord.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.definitions import services
from accord.definitions.models import DefinitionApproval, DefinitionStatus, LeadDefinition
from accord.definitions.selectors import active_definition, definition_diff
from accord.definitions.tests.factories import (
    marketing_manager,
    sample_document,
    team_member,
)
from accord.identity.actor import Actor, Source
from accord.identity.models import Role, TeamKind

pytestmark = pytest.mark.django_db


def as_actor(membership):  # type: ignore[no-untyped-def]
    return Actor.for_membership(membership, Source.WEB)


def approved_by_both(workspace, actor, document=None):  # type: ignore[no-untyped-def]
    draft = services.definition_create_draft(actor=actor, document=document or sample_document())
    services.definition_propose(actor=actor, definition_id=draft.pk)
    for kind in (TeamKind.MARKETING, TeamKind.SALES):
        services.definition_approve(
            actor=as_actor(_member(workspace, kind)), definition_id=draft.pk
        )
    draft.refresh_from_db()
    return draft


def test_create_draft_numbers_versions(workspace, actor) -> None:  # type: ignore[no-untyped-def]
    first = services.definition_create_draft(actor=actor, document=sample_document(), comment="v1")
    second = services.definition_create_draft(actor=actor, document=sample_document())
    assert (first.version, first.status, first.schema_version, first.comment) == (
        1,
        DefinitionStatus.DRAFT,
        1,
        "v1",
    )
    assert (second.version, second.based_on_id) == (2, first.pk)
    assert first.author == actor.user
    assert first.document["negative_signals"]["student_domains"] == [".edu", ".ac.uk"]


def test_invalid_document_saves_nothing(workspace, actor) -> None:  # type: ignore[no-untyped-def]
    bad = sample_document(
        fit_rules=[{"id": "x", "attribute": "shoe", "operator": "is_empty", "points": 1}]
    )
    with pytest.raises(ValidationFailed) as exc:
        services.definition_create_draft(actor=actor, document=bad)
    assert list(exc.value.fields) == ["document.fit_rules.0.attribute"]
    assert LeadDefinition.objects.for_workspace(workspace).count() == 0


def test_a_viewer_cannot_create(workspace, member_factory) -> None:  # type: ignore[no-untyped-def]
    viewer = as_actor(member_factory(Role.VIEWER))
    with pytest.raises(PermissionDenied):
        services.definition_create_draft(actor=viewer, document=sample_document())
    assert LeadDefinition.objects.for_workspace(workspace).count() == 0


def test_drafts_are_editable_and_published_versions_are_not(workspace, actor) -> None:  # type: ignore[no-untyped-def]
    draft = services.definition_create_draft(actor=actor, document=sample_document())
    changed = sample_document(mql={"fit_min": 30, "engagement_min": 10})
    updated = services.definition_update_draft(
        actor=actor, definition_id=draft.pk, document=changed, comment="stricter"
    )
    assert updated.document["mql"] == {"fit_min": 30.0, "engagement_min": 10.0, "matrix": None}
    services.definition_propose(actor=actor, definition_id=draft.pk)
    with pytest.raises(Conflict):
        services.definition_update_draft(
            actor=actor, definition_id=draft.pk, document=sample_document()
        )
    with pytest.raises(Conflict):
        services.definition_propose(actor=actor, definition_id=draft.pk)
    draft.refresh_from_db()
    assert (draft.status, draft.comment, draft.document["mql"]["fit_min"]) == (
        "proposed",
        "stricter",
        30.0,
    )


def test_one_side_is_not_enough(workspace, actor) -> None:  # type: ignore[no-untyped-def]
    draft = services.definition_create_draft(actor=actor, document=sample_document())
    services.definition_propose(actor=actor, definition_id=draft.pk)
    services.definition_approve(
        actor=as_actor(marketing_manager(workspace)), definition_id=draft.pk
    )
    with pytest.raises(Conflict) as exc:
        services.definition_activate(actor=actor, definition_id=draft.pk)
    assert "missing approval: sales" in exc.value.message
    draft.refresh_from_db()
    assert draft.status == DefinitionStatus.PROPOSED
    assert active_definition(workspace) is None


def test_same_side_cannot_approve_twice(workspace, actor) -> None:  # type: ignore[no-untyped-def]
    draft = services.definition_create_draft(actor=actor, document=sample_document())
    services.definition_propose(actor=actor, definition_id=draft.pk)
    mm = as_actor(marketing_manager(workspace))
    services.definition_approve(actor=mm, definition_id=draft.pk)
    other_mm = as_actor(team_member(workspace, Role.MANAGER, TeamKind.MARKETING, "mm2@x.example"))
    with pytest.raises(Conflict):
        services.definition_approve(actor=other_mm, definition_id=draft.pk)
    assert DefinitionApproval.objects.for_workspace(workspace).count() == 1


@pytest.mark.parametrize(
    ("role", "kind"),
    [
        (Role.MARKETER, TeamKind.MARKETING),
        (Role.SALES_REP, TeamKind.SALES),
        (Role.ADMIN, TeamKind.SALES),
        (Role.MANAGER, TeamKind.REVOPS),
        (Role.MANAGER, None),
    ],
)
def test_only_team_managers_approve(workspace, actor, role, kind) -> None:  # type: ignore[no-untyped-def]
    draft = services.definition_create_draft(actor=actor, document=sample_document())
    services.definition_propose(actor=actor, definition_id=draft.pk)
    someone = as_actor(team_member(workspace, role, kind, "someone@x.example"))
    with pytest.raises(PermissionDenied):
        services.definition_approve(actor=someone, definition_id=draft.pk)
    assert DefinitionApproval.objects.for_workspace(workspace).count() == 0


def test_another_workspaces_manager_cannot_approve(workspace, other_workspace, actor) -> None:  # type: ignore[no-untyped-def]
    draft = services.definition_create_draft(actor=actor, document=sample_document())
    services.definition_propose(actor=actor, definition_id=draft.pk)
    foreign = marketing_manager(other_workspace)
    # Their actor is bound to their own workspace, where this definition does not exist …
    with pytest.raises(NotFound):
        services.definition_approve(actor=as_actor(foreign), definition_id=draft.pk)
    # … and pretending to act in ours finds no membership here.
    forged = Actor(workspace=workspace, source=Source.API, user=foreign.user, role=Role.MANAGER)
    with pytest.raises(PermissionDenied):
        services.definition_approve(actor=forged, definition_id=draft.pk)
    assert DefinitionApproval.objects.for_workspace(workspace).count() == 0


def test_a_draft_cannot_be_approved(workspace, actor) -> None:  # type: ignore[no-untyped-def]
    draft = services.definition_create_draft(actor=actor, document=sample_document())
    with pytest.raises(Conflict):
        services.definition_approve(
            actor=as_actor(marketing_manager(workspace)), definition_id=draft.pk
        )


def test_activation_keeps_exactly_one_active(workspace, actor) -> None:  # type: ignore[no-untyped-def]
    v1 = approved_by_both(workspace, actor)
    assert v1.status == DefinitionStatus.APPROVED
    services.definition_activate(actor=actor, definition_id=v1.pk)
    v2 = services.definition_create_draft(actor=actor, document=sample_document(half_life_days=30))
    services.definition_propose(actor=actor, definition_id=v2.pk)
    for kind in (TeamKind.MARKETING, TeamKind.SALES):
        services.definition_approve(actor=as_actor(_member(workspace, kind)), definition_id=v2.pk)
    services.definition_activate(actor=actor, definition_id=v2.pk)
    statuses = dict(
        LeadDefinition.objects.for_workspace(workspace).values_list("version", "status")
    )
    assert statuses == {1: "retired", 2: "active"}
    assert active_definition(workspace).pk == v2.pk  # type: ignore[union-attr]
    assert definition_diff(v2) == ["Changed decay half-life (days): none → 30."]


def _member(workspace, kind):  # type: ignore[no-untyped-def]
    from accord.identity.models import Membership

    existing = (
        Membership.objects.for_workspace(workspace)
        .filter(role=Role.MANAGER, team__kind=kind)
        .first()
    )
    return existing or team_member(workspace, Role.MANAGER, kind, f"{kind}@x.example")


def test_rollback_needs_both_approvals_again(workspace, actor) -> None:  # type: ignore[no-untyped-def]
    v1 = approved_by_both(workspace, actor)
    services.definition_activate(actor=actor, definition_id=v1.pk)
    stricter = sample_document(mql={"fit_min": 30, "engagement_min": 20})
    draft = services.definition_create_draft(actor=actor, document=stricter)
    services.definition_propose(actor=actor, definition_id=draft.pk)
    for kind in (TeamKind.MARKETING, TeamKind.SALES):
        services.definition_approve(
            actor=as_actor(_member(workspace, kind)), definition_id=draft.pk
        )
    services.definition_activate(actor=actor, definition_id=draft.pk)

    rollback = services.definition_rollback(actor=actor, definition_id=v1.pk)
    assert (rollback.version, rollback.status, rollback.comment) == (
        3,
        "proposed",
        "Roll back to v1",
    )
    assert rollback.document == v1.document
    assert definition_diff(rollback) == [
        "Changed MQL threshold engagement_min: 20 → 10.",
        "Changed MQL threshold fit_min: 30 → 20.",
    ]
    with pytest.raises(Conflict):
        services.definition_activate(actor=actor, definition_id=rollback.pk)
    assert active_definition(workspace).version == 2  # type: ignore[union-attr]
