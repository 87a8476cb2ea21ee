"""Roles, memberships, teams, API tokens, routing settings and record deletions in the audit
log: who, what, before and after; a refused change writes no entry."""

from __future__ import annotations

from typing import Any

import pytest

from accord.core.errors import NotFound, PermissionDenied, ValidationFailed
from accord.crm.services import companies, contacts, deals
from accord.handoff import routing_settings
from accord.identity import services
from accord.identity.actor import Actor, Source
from accord.identity.tests.factories import TeamFactory, UserFactory
from accord.marketing import services as marketing
from tests.audit.helpers import actions, logged

pytestmark = pytest.mark.django_db


def test_memberships_teams_and_tokens(workspace: Any, actor: Any) -> None:
    team = services.team_create(workspace=workspace, name="Closers", kind="sales", actor=actor)
    services.team_create(workspace=workspace, name="Closers", kind="sales", actor=actor)  # exists
    user = UserFactory(email="new@acme.example")
    services.membership_set(workspace=workspace, user=user, role="sales_rep", actor=actor)
    membership = services.membership_set(
        workspace=workspace, user=user, role="manager", team=team, actor=actor
    )
    services.membership_set(workspace=workspace, user=user, role="manager", team=team, actor=actor)
    token, _ = services.api_token_create(actor=actor, name="sync", scope="read")
    services.api_token_revoke(actor=actor, token_id=token.pk)
    services.api_token_revoke(actor=actor, token_id=token.pk)  # already revoked: no change

    entries = logged(workspace)
    assert [e["action"] for e in entries] == [
        "team.created",
        "membership.created",
        "membership.changed",
        "api_token.created",
        "api_token.revoked",
    ]
    assert {(e["who"], e["user_id"]) for e in entries} == {
        (f"{actor.user.display_name} via api", actor.user.pk)
    }
    assert entries[0]["object"] == ("team", str(team.pk), "Closers")
    assert entries[0]["after"] == {"name": "Closers", "kind": "sales"}
    assert entries[1]["object"] == (
        "membership",
        str(membership.pk),
        f"{user.display_name} (Sales rep)",
    )
    assert entries[1]["after"] == {"user_id": user.pk, "role": "sales_rep", "team_id": None}
    assert (entries[2]["before"], entries[2]["after"]) == (
        {"role": "sales_rep", "team_id": None},
        {"role": "manager", "team_id": team.pk},
    )
    assert entries[3]["after"] == {
        "user_id": actor.user.pk,
        "name": "sync",
        "prefix": token.prefix,
        "scope": "read",
        "expires_at": None,
    }
    token.refresh_from_db()
    assert entries[4]["before"] == {"revoked_at": None}
    assert entries[4]["after"] == {"revoked_at": token.revoked_at.isoformat()}


def test_refused_identity_changes_write_no_entry(
    workspace: Any, actor: Any, other_workspace: Any
) -> None:
    user = UserFactory(email="x@acme.example")
    with pytest.raises(ValidationFailed):
        services.membership_set(workspace=workspace, user=user, role="owner", actor=actor)
    foreign = TeamFactory(workspace=other_workspace, name="Theirs")
    with pytest.raises(ValidationFailed):
        services.membership_set(workspace=workspace, user=user, role="viewer", team=foreign)
    with pytest.raises(ValidationFailed):
        services.api_token_create(actor=actor, name=" ")
    with pytest.raises(NotFound):
        services.api_token_revoke(actor=actor, token_id=999_999)
    assert logged(workspace) == []


def test_a_membership_set_without_an_actor_is_the_systems(workspace: Any) -> None:
    user = UserFactory(email="y@acme.example")
    services.membership_set(workspace=workspace, user=user, role="viewer")
    [entry] = logged(workspace)
    assert (entry["action"], entry["who"], entry["source"], entry["user_id"]) == (
        "membership.created",
        "system via system",
        "system",
        None,
    )


def test_routing_rules_seller_settings_and_reasons(workspace: Any, member_factory: Any) -> None:
    manager = Actor.for_membership(member_factory("manager"), Source.WEB)
    rep = member_factory("sales_rep")
    team = TeamFactory(workspace=workspace, name="AEs", kind="sales")
    rep.team = team  # a rule names someone who can work leads: a seller on a sales team
    rep.save()
    first = routing_settings.routing_rule_create(
        actor=manager, values={"name": "Enterprise", "conditions": [], "team_id": team.pk}
    )
    second = routing_settings.routing_rule_create(
        actor=manager, values={"name": "Rest", "user_id": rep.user_id}
    )
    routing_settings.routing_rule_update(
        actor=manager, rule_id=first.pk, values={"name": "Enterprise (EMEA)", "is_active": False}
    )
    routing_settings.routing_rules_reorder(actor=manager, rule_ids=[second.pk, first.pk])
    routing_settings.routing_rule_delete(actor=manager, rule_id=second.pk)
    routing_settings.seller_settings_set(
        actor=manager, user_id=rep.user_id, values={"weight": 2, "capacity": 10}
    )
    routing_settings.rejection_reason_save(
        actor=manager, values={"key": "too_small", "label": "Too small", "outcome": "disqualified"}
    )
    routing_settings.rejection_reason_save(
        actor=manager,
        values={"key": "too_small", "label": "Company too small", "outcome": "recycled"},
    )
    entries = logged(workspace)
    assert [e["action"] for e in entries] == [
        "routing_rule.created",
        "routing_rule.created",
        "routing_rule.changed",
        "routing_rule.reordered",
        "routing_rule.deleted",
        "seller_settings.changed",
        "rejection_reason.created",
        "rejection_reason.changed",
    ]
    assert entries[0]["after"] == {
        "name": "Enterprise",
        "position": 0,
        "conditions": [],
        "team_id": team.pk,
        "user_id": None,
        "is_active": True,
    }
    assert (entries[2]["before"], entries[2]["after"]) == (
        {"name": "Enterprise", "is_active": True},
        {"name": "Enterprise (EMEA)", "is_active": False},
    )
    assert (entries[3]["before"], entries[3]["after"]) == (
        {"order": [first.pk, second.pk]},
        {"order": [second.pk, first.pk]},
    )
    assert entries[4]["object"] == ("routing rule", str(second.pk), "Rest")
    assert entries[4]["before"]["name"] == "Rest"
    assert entries[4]["before"]["user_id"] == rep.user_id
    assert entries[4]["after"] is None
    assert (entries[5]["before"], entries[5]["after"]) == (
        {"weight": 1.0, "capacity": None},
        {"weight": 2.0, "capacity": 10},
    )
    assert (entries[7]["before"], entries[7]["after"]) == (
        {"label": "Too small", "outcome": "disqualified"},
        {"label": "Company too small", "outcome": "recycled"},
    )


def test_refused_routing_changes_write_no_entry(workspace: Any, member_factory: Any) -> None:
    manager = Actor.for_membership(member_factory("manager"), Source.WEB)
    rep = Actor.for_membership(member_factory("sales_rep"), Source.WEB)
    with pytest.raises(ValidationFailed):
        routing_settings.routing_rule_create(actor=manager, values={"name": "", "user_id": 1})
    with pytest.raises(PermissionDenied):
        routing_settings.routing_rule_create(
            actor=rep,
            values={"name": "Mine", "user_id": rep.user.pk},  # type: ignore[union-attr]
        )
    with pytest.raises(ValidationFailed):
        routing_settings.seller_settings_set(
            actor=manager,
            user_id=rep.user.pk,
            values={"weight": 500},  # type: ignore[union-attr]
        )
    assert logged(workspace) == []


def test_deletions_keep_what_was_deleted(workspace: Any, actor: Any) -> None:
    company = companies.company_create(
        actor=actor, values={"name": "Initech", "domain": "initech.example"}
    )
    contact = contacts.contact_create(
        actor=actor,
        values={"email": "peter@initech.example", "first_name": "Peter", "lifecycle_stage": "lead"},
    )
    deal = deals.deal_create(actor=actor, values={"name": "Initech renewal", "amount": "1200"})
    campaign = marketing.campaign_create(
        actor=actor, values={"name": "Spring webinar", "channel": "webinar"}
    )
    contacts.contact_delete(actor=actor, contact_id=contact.pk)
    companies.company_delete(actor=actor, company_id=company.pk)
    deals.deal_delete(actor=actor, deal_id=deal.pk)
    marketing.campaign_delete(actor=actor, campaign_id=campaign.pk)
    entries = logged(workspace)
    assert [(e["action"], e["object"]) for e in entries] == [
        ("contact.deleted", ("contact", str(contact.pk), f"contact {contact.pk}")),
        ("company.deleted", ("company", str(company.pk), "Initech")),
        ("deal.deleted", ("deal", str(deal.pk), "Initech renewal")),
        ("campaign.deleted", ("campaign", str(campaign.pk), "Spring webinar")),
    ]
    # The contact's entry holds no personal data: an erasure must not live on in the log.
    assert entries[0]["before"] == {
        "lifecycle_stage": "lead",
        "lead_status": "",
        "company_id": None,
        "owner_id": None,
        "original_source": contact.original_source,
        "created_at": contact.created_at.isoformat(),
    }
    assert "peter" not in str(entries[0]).lower()
    assert entries[1]["before"]["domain"] == "initech.example"
    assert entries[2]["before"]["amount"] == "1200.00"
    assert entries[3]["before"]["channel"] == "webinar"
    for entry in entries:
        assert entry["after"] is None
        assert not {"id", "workspace", "workspace_id"} & set(entry["before"])


def test_a_refused_deletion_writes_no_entry(
    workspace: Any, actor: Any, member_factory: Any
) -> None:
    deal = deals.deal_create(actor=actor, values={"name": "Keep me"})
    viewer = Actor.for_membership(member_factory("viewer"), Source.WEB)
    with pytest.raises(PermissionDenied):
        deals.deal_delete(actor=viewer, deal_id=deal.pk)
    with pytest.raises(NotFound):
        deals.deal_delete(actor=actor, deal_id=deal.pk + 1000)
    assert actions(workspace) == []
