"""Routing MQLs from the database: rules, account owners, rotation, absences, capacity, the
fallback queue with its alert, and the guarantee that no MQL is left without a handoff."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.crm.models import Contact
from accord.crm.tests.factories import CompanyFactory
from accord.handoff import routing_settings
from accord.handoff.assignment import route_contacts
from accord.handoff.models import (
    Escalation,
    EscalationKind,
    Handoff,
    HandoffStatus,
    RoutingRule,
    SlaState,
)
from accord.handoff.sweep import unrouted_mqls
from accord.handoff.tests.factories import activate_sla, make_mql, sales_floor

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_mql_is_routed_by_the_first_matching_rule(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace)
    manager = floor.actor(floor.sales_manager)
    routing_settings.routing_rule_create(
        actor=manager,
        values={
            "name": "Germany",
            "conditions": [{"attribute": "country", "operator": "equals", "value": "DE"}],
            "user_id": floor.sellers[2].user_id,
        },
    )
    routing_settings.routing_rule_create(
        actor=manager, values={"name": "Everyone else", "conditions": [], "team_id": floor.team.pk}
    )
    german = make_mql(floor, "anna@firma.de", country="DE")
    handoff = Handoff.objects.for_workspace(workspace).get(contact=german)
    assert (handoff.owner_id, handoff.chosen_by, handoff.status) == (
        floor.sellers[2].user_id,
        "rule: Germany",
        HandoffStatus.OPEN,
    )
    assert handoff.routing_rule == RoutingRule.objects.for_workspace(workspace).get(name="Germany")
    assert handoff.definition_version == "v1"
    assert Contact.objects.for_workspace(workspace).get(pk=german.pk).owner_id == (
        floor.sellers[2].user_id
    )


def test_rotation_is_even_and_skips_the_absent_and_the_full(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace)
    manager = floor.actor(floor.sales_manager)
    routing_settings.routing_rule_create(
        actor=manager, values={"name": "All", "conditions": [], "team_id": floor.team.pk}
    )
    away, full, present = (s.user_id for s in floor.sellers)
    today = timezone.localdate()
    routing_settings.out_of_office_add(
        actor=manager, user_id=away, starts_on=today - dt.timedelta(days=1), ends_on=today
    )
    routing_settings.seller_settings_set(actor=manager, user_id=full, values={"capacity": 2})
    for i in range(6):
        make_mql(floor, f"lead{i}@example.org")
    owners = list(
        Handoff.objects.for_workspace(workspace).order_by("id").values_list("owner_id", flat=True)
    )
    # Alternating until the capped seller is full, then the one present seller takes the rest.
    assert owners.count(full) == 2 and owners.count(present) == 4 and away not in owners


def test_the_account_owner_gets_the_lead(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace)
    owner = floor.sellers[1].user_id
    company = CompanyFactory(workspace=workspace, owner_id=owner, domain="big.example")
    contact = make_mql(floor, "cto@big.example", company_id=company.pk)
    handoff = Handoff.objects.for_workspace(workspace).get(contact=contact)
    assert (handoff.owner_id, handoff.chosen_by) == (owner, "account owner")


def test_no_rule_matches_goes_to_the_fallback_queue_with_an_alert(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace)
    activate_sla(floor)
    contact = make_mql(floor, "nobody@example.org")
    handoff = Handoff.objects.for_workspace(workspace).get(contact=contact)
    assert handoff.owner_id is None
    assert handoff.chosen_by == "fallback: no rule matched an available owner"
    assert handoff.sla_state == SlaState.DUE  # the clock runs in the queue too
    alerts = Escalation.objects.for_workspace(workspace).filter(handoff=handoff)
    assert [(a.kind, a.recipient_id) for a in alerts] == [
        (EscalationKind.UNASSIGNED, floor.sales_manager.user_id)
    ]


def test_routing_twice_makes_one_handoff(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace)
    contact = make_mql(floor, "once@example.org")
    assert route_contacts(workspace.pk, [contact.pk]) == []
    assert Handoff.objects.for_workspace(workspace).filter(contact=contact).count() == 1


def test_the_sweep_routes_mqls_the_subscriber_missed(workspace) -> None:  # type: ignore[no-untyped-def]
    floor = sales_floor(workspace)
    contact = make_mql(floor, "missed@example.org")
    Handoff.objects.for_workspace(workspace).filter(contact=contact).delete()
    assert unrouted_mqls(workspace.pk) == [contact.pk]
    from accord.handoff.sweep import sweep_all

    assert sweep_all()["routed"] == 1
    assert unrouted_mqls(workspace.pk) == []


def test_bad_rules_are_refused(workspace) -> None:  # type: ignore[no-untyped-def]
    from accord.core.errors import ValidationFailed

    floor = sales_floor(workspace)
    manager = floor.actor(floor.sales_manager)
    cases = [
        ({"name": "x", "conditions": [], "team_id": floor.team.pk, "user_id": 1}, "team_id"),
        ({"name": "x", "conditions": []}, "team_id"),
        (
            {"name": "x", "conditions": [{"attribute": "c", "operator": "near"}], "user_id": 1},
            "conditions.0.operator",
        ),
        (
            {
                "name": "x",
                "conditions": [{"attribute": "size", "operator": "range", "low": 9, "high": 1}],
                "team_id": floor.team.pk,
            },
            "conditions.0",
        ),
        ({"name": "", "conditions": [], "team_id": floor.team.pk}, "name"),
    ]
    for values, field in cases:
        with pytest.raises(ValidationFailed) as exc:
            routing_settings.routing_rule_create(actor=manager, values=values)
        assert field in exc.value.fields
    assert RoutingRule.objects.for_workspace(workspace).count() == 0


CONDITION = st.fixed_dictionaries(
    {
        "attribute": st.sampled_from(["country", "title", "original_source", "industry"]),
        "operator": st.sampled_from(["equals", "in", "contains", "is_empty"]),
        "value": st.sampled_from(["DE", "US", "VP Sales", "paid_search", "x"]),
    }
)
RULE = st.tuples(st.lists(CONDITION, max_size=2), st.integers(0, 3))  # 3 = the whole team


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    rules=st.lists(RULE, max_size=4),
    absent=st.sets(st.integers(0, 2)),
    leads=st.lists(
        st.tuples(st.sampled_from(["DE", "US", ""]), st.sampled_from(["VP Sales", "Intern"])),
        min_size=1,
        max_size=6,
    ),
)
def test_no_mql_is_ever_unassigned(rules, absent, leads) -> None:  # type: ignore[no-untyped-def]
    from accord.identity.tests.factories import WorkspaceFactory

    workspace = WorkspaceFactory()
    floor = sales_floor(workspace)
    manager = floor.actor(floor.sales_manager)
    for i, (conditions, target) in enumerate(rules):
        where = (
            {"team_id": floor.team.pk}
            if target == 3
            else {"user_id": floor.sellers[target].user_id}
        )
        routing_settings.routing_rule_create(
            actor=manager, values={"name": f"r{i}", "conditions": conditions, **where}
        )
    today = timezone.localdate()
    for i in absent:
        routing_settings.out_of_office_add(
            actor=manager, user_id=floor.sellers[i].user_id, starts_on=today, ends_on=today
        )
    made = [
        make_mql(floor, f"l{i}@example.org", country=country, title=title)
        for i, (country, title) in enumerate(leads)
    ]
    handoffs = Handoff.objects.for_workspace(workspace).filter(status=HandoffStatus.OPEN)
    assert sorted(handoffs.values_list("contact_id", flat=True)) == sorted(c.pk for c in made)
    absent_ids = {floor.sellers[i].user_id for i in absent}
    for handoff in handoffs:
        if handoff.owner_id is None:  # the queue, and the managers were told
            assert (
                Escalation.objects.for_workspace(workspace)
                .filter(handoff=handoff, kind=EscalationKind.UNASSIGNED)
                .exists()
            )
        else:
            assert handoff.owner_id not in absent_ids


def test_a_bulk_promotion_is_routed_in_one_pass(workspace) -> None:  # type: ignore[no-untyped-def]
    from accord.crm.services import contacts as contact_services
    from accord.crm.services.ledger import change_stage_bulk

    floor = sales_floor(workspace, sellers=2)
    routing_settings.routing_rule_create(
        actor=floor.actor(floor.sales_manager),
        values={"name": "All", "conditions": [], "team_id": floor.team.pk},
    )
    ids = [
        contact_services.contact_create(
            actor=floor.system, values={"email": f"bulk{i}@example.org"}
        ).pk
        for i in range(10)
    ]
    change_stage_bulk(
        actor=floor.system,
        contact_ids=ids,
        from_stage="lead",
        to_stage="mql",
        definition_version="v3",
    )
    handoffs = Handoff.objects.for_workspace(workspace)
    assert sorted(handoffs.values_list("contact_id", flat=True)) == ids
    owners = list(handoffs.values_list("owner_id", flat=True))
    assert sorted(owners.count(s.user_id) for s in floor.sellers) == [5, 5]
    assert set(handoffs.values_list("definition_version", flat=True)) == {"v3"}
