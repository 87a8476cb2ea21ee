"""Leads go only to people who can work them: an account owner or a rule's person who is not an
active seller on a sales team (a former member, a deactivated user, a marketer) is skipped like
an away seller; rules and reassignments refuse them; and one lead that cannot be routed never
stops the routing, or the sweep, of the others."""

from __future__ import annotations

import pytest

from accord.core.errors import ValidationFailed
from accord.crm.models import Contact
from accord.crm.tests.factories import CompanyFactory
from accord.handoff import assignment, dispositions, routing_settings
from accord.handoff.models import Handoff, HandoffStatus, RoutingRule, SlaState
from accord.handoff.notify import sales_managers
from accord.handoff.sweep import sweep_all, unrouted_mqls
from accord.handoff.tests.factories import SalesFloor, activate_sla, make_mql, sales_floor
from accord.identity import members
from accord.identity.models import Role, TeamKind
from accord.identity.tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SKIPPED = "account owner user {} skipped: not an active seller"


def rotate_to_the_team(floor: SalesFloor) -> None:
    routing_settings.routing_rule_create(
        actor=floor.actor(floor.sales_manager),
        values={"name": "All", "conditions": [], "team_id": floor.team.pk},
    )


def handoff_of(contact: Contact) -> Handoff:
    return Handoff.objects.for_workspace(contact.workspace_id).get(contact=contact)


def test_a_former_member_owning_the_company_does_not_stop_the_lead(workspace) -> None:  # type: ignore[no-untyped-def]
    """The QA's repro: the account owner left; the next MQL at their company went nowhere (the
    owner could not be set, so the whole routing rolled back) and every sweep crashed."""
    floor = sales_floor(workspace, sellers=2)
    activate_sla(floor)
    rotate_to_the_team(floor)
    leaving, staying = floor.sellers
    company = CompanyFactory(workspace=workspace, owner_id=leaving.user_id, domain="tom.example")
    members.member_remove(actor=floor.actor(floor.admin), membership_id=leaving.pk)

    contact = make_mql(floor, "ingrid@tom.example", company_id=company.pk)

    handoff = handoff_of(contact)
    assert (handoff.owner_id, handoff.team_id, handoff.status, handoff.sla_state) == (
        staying.user_id,
        floor.team.pk,
        HandoffStatus.OPEN,
        SlaState.DUE,
    )
    assert handoff.chosen_by == f"rule: All ({SKIPPED.format(leaving.user_id)})"
    assert handoff.routing_rule == RoutingRule.objects.for_workspace(workspace).get(name="All")
    contact.refresh_from_db()
    assert contact.owner_id == staying.user_id
    assert unrouted_mqls(workspace.pk) == []
    totals = sweep_all()
    assert (totals["routed"], totals["failed"]) == (0, 0)


def test_a_former_members_company_with_no_rule_goes_to_the_queue(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    leaving = floor.sellers[0]
    company = CompanyFactory(workspace=workspace, owner_id=leaving.user_id, domain="gone.example")
    members.member_remove(actor=floor.actor(floor.admin), membership_id=leaving.pk)
    contact = make_mql(floor, "buyer@gone.example", company_id=company.pk)
    handoff = handoff_of(contact)
    assert handoff.owner_id is None
    assert handoff.chosen_by == (
        f"fallback: no rule matched an available owner ({SKIPPED.format(leaving.user_id)})"
    )


def test_marketers_and_deactivated_users_are_skipped_as_account_owners(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=2)
    rotate_to_the_team(floor)
    inactive = floor.sellers[1]
    inactive.user.is_active = False
    inactive.user.save(update_fields=["is_active"])
    for owner, domain in ((floor.marketer, "mkt.example"), (inactive, "off.example")):
        company = CompanyFactory(workspace=workspace, owner_id=owner.user_id, domain=domain)
        handoff = handoff_of(make_mql(floor, f"cto@{domain}", company_id=company.pk))
        assert (handoff.owner_id, handoff.team_id) == (floor.sellers[0].user_id, floor.team.pk)
        assert SKIPPED.format(owner.user_id) in handoff.chosen_by


def test_a_sales_manager_owning_the_account_gets_the_lead_in_their_team(workspace) -> None:  # type: ignore[no-untyped-def]
    """Managers of a sales team own accounts (they do not rotate)."""
    floor = sales_floor(workspace, sellers=1)
    rotate_to_the_team(floor)
    manager = floor.sales_manager
    company = CompanyFactory(workspace=workspace, owner_id=manager.user_id, domain="key.example")
    handoff = handoff_of(make_mql(floor, "ceo@key.example", company_id=company.pk))
    assert (handoff.owner_id, handoff.chosen_by, handoff.team_id) == (
        manager.user_id,
        "account owner",
        floor.team.pk,
    )
    others = [make_mql(floor, f"lead{i}@example.org") for i in range(3)]
    assert {handoff_of(c).owner_id for c in others} == {floor.sellers[0].user_id}


def test_a_rule_cannot_name_someone_who_cannot_work_leads(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    manager = floor.actor(floor.sales_manager)
    for person in (floor.marketer, floor.marketing_manager, floor.admin):  # admin: no sales team
        with pytest.raises(ValidationFailed, match="cannot work leads") as exc:
            routing_settings.routing_rule_create(
                actor=manager,
                values={"name": "To them", "conditions": [], "user_id": person.user_id},
            )
        assert list(exc.value.fields) == ["user_id"]
    rule = routing_settings.routing_rule_create(
        actor=manager,
        values={"name": "Seller", "conditions": [], "user_id": floor.sellers[0].user_id},
    )
    with pytest.raises(ValidationFailed) as exc:
        routing_settings.routing_rule_update(
            actor=manager, rule_id=rule.pk, values={"user_id": floor.marketer.user_id}
        )
    assert list(exc.value.fields) == ["user_id"]
    assert list(RoutingRule.objects.for_workspace(workspace).values_list("user_id", flat=True)) == [
        floor.sellers[0].user_id
    ]
    routing_settings.routing_rule_create(
        actor=manager,
        values={"name": "Boss", "conditions": [], "user_id": floor.sales_manager.user_id},
    )


def test_a_rule_left_naming_a_marketer_skips_them(workspace) -> None:  # type: ignore[no-untyped-def]
    """A rule saved before the check (or whose person has since changed role)."""
    floor = sales_floor(workspace, sellers=1)
    RoutingRule.objects.create(
        workspace=workspace, position=0, name="To Priya", conditions=[], user=floor.marketer.user
    )
    rotate_to_the_team(floor)
    handoff = handoff_of(make_mql(floor, "george@example.org"))
    assert handoff.owner_id == floor.sellers[0].user_id
    assert handoff.chosen_by == (
        f"rule: All (rule 'To Priya' skipped: user {floor.marketer.user_id} is not an active "
        "seller)"
    )


def test_reassign_only_to_a_seller_and_the_lead_moves_to_their_team(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    activate_sla(floor)
    rotate_to_the_team(floor)
    sdr_team = TeamFactory(workspace=workspace, name="Sales Development", kind=TeamKind.SALES)
    sdr = MembershipFactory(
        workspace=workspace,
        user=UserFactory(email="sdr@acme.example"),
        role=Role.SDR,
        team=sdr_team,
    )
    handoff = handoff_of(make_mql(floor, "lead@example.org"))
    manager = floor.actor(floor.sales_manager)
    with pytest.raises(ValidationFailed, match="cannot work leads") as exc:
        dispositions.handoff_reassign(
            actor=manager, handoff_id=handoff.pk, user_id=floor.marketer.user_id
        )
    assert list(exc.value.fields) == ["user_id"]
    handoff.refresh_from_db()
    assert handoff.owner_id == floor.sellers[0].user_id
    due = handoff.first_touch_due_at

    moved = dispositions.handoff_reassign(actor=manager, handoff_id=handoff.pk, user_id=sdr.user_id)

    moved.refresh_from_db()
    assert (moved.owner_id, moved.team_id, moved.first_touch_due_at) == (
        sdr.user_id,
        sdr_team.pk,
        due,  # the buyer has waited since the handover: the due time stands
    )


def test_breaches_of_a_lead_filed_under_marketing_never_alert_marketing(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    marketing_team = floor.marketing_manager.team
    assert sales_managers(workspace.pk, marketing_team.pk) == [floor.sales_manager.user_id]
    assert sales_managers(workspace.pk, floor.team.pk) == [floor.sales_manager.user_id]


def test_one_lead_that_cannot_be_routed_does_not_hold_up_the_others(workspace, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace, sellers=1)
    rotate_to_the_team(floor)
    made = [make_mql(floor, f"lead{i}@example.org") for i in range(3)]
    Handoff.objects.for_workspace(workspace).delete()  # as if the subscriber never ran
    bad = made[1].pk
    real = assignment._set_owners

    def failing(actor, handoffs):  # type: ignore[no-untyped-def]
        if any(h.contact_id == bad for h in handoffs):
            raise ValidationFailed.single("owner_id", "broken")
        real(actor, handoffs)

    monkeypatch.setattr(assignment, "_set_owners", failing)
    routed = assignment.route_contacts_isolated(workspace.pk, [c.pk for c in made])
    assert sorted(h.contact_id for h in routed) == [made[0].pk, made[2].pk]
    assert unrouted_mqls(workspace.pk) == [bad]
    totals = sweep_all()  # tries it again, and goes on
    assert (totals["routed"], totals["failed"]) == (0, 0)
    assert unrouted_mqls(workspace.pk) == [bad]
