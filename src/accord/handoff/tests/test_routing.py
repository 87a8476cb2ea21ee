"""Routing: account owner first, then ordered rules (people or rotating teams), then the
fallback queue — each assignment naming what chose it."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.handoff.rotation import Candidate
from accord.handoff.routing import Condition, Roster, RoutingRule, route

DAY = dt.date(2026, 11, 23)
AWAY = [(DAY, DAY + dt.timedelta(days=3))]
RULES = [
    RoutingRule(
        "EMEA enterprise",
        [
            Condition("country", "in", ["DE", "FR", "GB"]),
            Condition("company.employee_count", "range", low=1000),
        ],
        team="emea-ae",
    ),
    RoutingRule("Partners to Ana", [Condition("original_source", "equals", "partner")], user_id=1),
    RoutingRule("Everyone else", [], team="sdr"),
]


def roster(**overrides: list[Candidate]) -> Roster:
    teams = {
        "emea-ae": [Candidate(10), Candidate(11)],
        "sdr": [Candidate(20), Candidate(21)],
        "partners": [Candidate(1)],  # Ana
    }
    teams.update(overrides)
    return Roster(teams=teams)


def test_the_account_owner_comes_first_unless_away() -> None:
    r = roster(owners=[Candidate(5)])
    assert route({"country": "DE"}, RULES, r, DAY, account_owner=5).chosen_by == "account owner"
    away = roster(owners=[Candidate(5, away=AWAY)])
    result = route({"country": "US"}, RULES, away, DAY, account_owner=5)
    assert (result.user_id, result.chosen_by) == (20, "rule: Everyone else")


def test_rules_in_order_with_rotation_inside_a_team() -> None:
    r = roster()
    big_de = {"country": " de ", "company.employee_count": "5000"}
    picks = [route(big_de, RULES, r, DAY) for _ in range(3)]
    assert [(p.user_id, p.chosen_by, p.team) for p in picks] == [
        (10, "rule: EMEA enterprise", "emea-ae"),
        (11, "rule: EMEA enterprise", "emea-ae"),
        (10, "rule: EMEA enterprise", "emea-ae"),
    ]
    small_de = {"country": "DE", "company.employee_count": "50"}
    assert route(small_de, RULES, r, DAY).team == "sdr"  # range fails; next rules
    assert route({"original_source": "Partner"}, RULES, r, DAY).chosen_by == "rule: Partners to Ana"
    unknown_size = {"country": "DE"}  # a missing attribute never matches a range
    assert route(unknown_size, RULES, r, DAY).team == "sdr"


def test_unavailable_people_fall_through_to_the_fallback() -> None:
    r = roster(
        **{
            "emea-ae": [Candidate(10, away=AWAY)],
            "sdr": [Candidate(20, capacity=1, open_handoffs=1)],
        },
        partners=[Candidate(1, away=AWAY)],
    )
    result = route({"country": "DE", "company.employee_count": "5000"}, RULES, r, DAY)
    assert (result.user_id, result.chosen_by) == (
        None,
        "fallback: no rule matched an available owner",
    )
    assert route({"original_source": "partner"}, RULES, r, DAY).user_id is None


def test_an_owner_or_named_person_off_the_roster_is_skipped_and_the_result_says_why() -> None:
    """A former member, a deactivated user or a marketer is not on the roster: the lead goes
    on to the next rule (or the queue), never to someone who cannot work it."""
    r = roster()
    result = route({"country": "US"}, RULES, r, DAY, account_owner=99)
    assert (result.user_id, result.chosen_by, result.rule) == (
        20,
        "rule: Everyone else (account owner user 99 skipped: not an active seller)",
        "Everyone else",
    )
    no_ana = roster(partners=[])
    result = route({"original_source": "partner"}, RULES, no_ana, DAY)
    assert (result.user_id, result.chosen_by) == (
        20,
        "rule: Everyone else (rule 'Partners to Ana' skipped: user 1 is not an active seller)",
    )
    nobody = roster(partners=[], sdr=[])
    result = route({"original_source": "partner"}, RULES, nobody, DAY, account_owner=99)
    assert (result.user_id, result.rule) == (None, None)
    assert result.chosen_by == (
        "fallback: no rule matched an available owner (account owner user 99 skipped: not an "
        "active seller; rule 'Partners to Ana' skipped: user 1 is not an active seller)"
    )


def test_people_who_own_leads_without_rotating_can_be_account_owners() -> None:
    """A sales team's manager owns accounts and can be named by a rule, but is not in the
    rotation; away, they are skipped like anyone."""
    r = Roster(teams={"sdr": [Candidate(20)]}, people={7: Candidate(7)})
    assert route({}, RULES, r, DAY, account_owner=7).user_id == 7
    away = Roster(teams={"sdr": [Candidate(20)]}, people={7: Candidate(7, away=AWAY)})
    result = route({}, RULES, away, DAY, account_owner=7)
    assert (result.user_id, result.chosen_by) == (20, "rule: Everyone else")


def test_conditions() -> None:
    attrs = {"title": "Head of RevOps", "segment": "", "size": "n/a"}
    assert Condition("title", "contains", "revops").matches(attrs)
    assert Condition("segment", "is_empty").matches(attrs)
    assert Condition("missing", "is_empty").matches(attrs)
    assert not Condition("missing", "equals", "").matches(attrs)
    assert not Condition("size", "range", low=1).matches(attrs)
    assert Condition("title", "in", "head of revops").matches(attrs)


def test_a_rule_names_a_team_or_a_person() -> None:
    with pytest.raises(ValueError, match="team or a person"):
        RoutingRule("both", [], team="sdr", user_id=1)
    with pytest.raises(ValueError, match="team or a person"):
        RoutingRule("neither", [])
