"""Routing a new MQL to a sales owner: pure Python, no Django.

In order: the company's account owner, if the company has one and that person can take it; else
the first rule whose conditions all match names a person or a team (a team rotates through its
available members, `rotation.next_owner`); else the fallback. Every result says which rule (or
reason) chose it, so the assignment can be recorded and explained. Conditions compare text case-
and space-insensitively; a missing attribute never matches, except for `is_empty`.

Only people on the roster take leads: an account owner or a rule's named person who is not on
it (a former member, a deactivated user, a marketer, someone on no sales team) is skipped like
an away seller, and the result says so ("… (account owner user 15 skipped: not an active
seller)"). Leads never go to someone who cannot work them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from accord.handoff.rotation import Candidate, RotationState, next_owner

Operator = Literal["equals", "in", "contains", "range", "is_empty"]


@dataclass(frozen=True)
class Condition:
    attribute: str  # e.g. "country", "segment", "company.employee_count", "original_source"
    operator: Operator
    value: str | Sequence[str] = ""
    low: float | None = None
    high: float | None = None

    def matches(self, attributes: Mapping[str, str]) -> bool:
        text = (attributes.get(self.attribute) or "").strip()
        if self.operator == "is_empty":
            return not text
        if not text:
            return False
        if self.operator == "range":
            return self._in_range(text)
        folded = text.casefold()
        values = [self.value] if isinstance(self.value, str) else list(self.value)
        wanted = [v.strip().casefold() for v in values]
        if self.operator == "contains":
            return any(w in folded for w in wanted)
        return folded in wanted  # equals / in

    def _in_range(self, text: str) -> bool:
        try:
            number = float(text)
        except ValueError:
            return False
        return (self.low is None or number >= self.low) and (
            self.high is None or number <= self.high
        )


@dataclass(frozen=True)
class RoutingRule:
    name: str
    conditions: Sequence[Condition]
    team: str | None = None  # rotate inside this team …
    user_id: int | None = None  # … or always this person

    def __post_init__(self) -> None:
        if (self.team is None) == (self.user_id is None):
            raise ValueError(f"rule '{self.name}' must name a team or a person, not both")


@dataclass(frozen=True)
class Assignment:
    user_id: int | None  # None: the fallback queue (raise an alert)
    chosen_by: str  # "account owner", "rule: EMEA enterprise", "fallback: …"
    team: str | None = None
    rule: str | None = None  # the name of the rule that chose it, if one did


@dataclass
class Roster:
    """Who can take leads: per team the rotation's members, and `people` who may own leads
    without rotating (e.g. a sales team's manager); each team's rotation state."""

    teams: Mapping[str, Sequence[Candidate]]
    states: dict[str, RotationState] = field(default_factory=dict)
    people: Mapping[int, Candidate] = field(default_factory=dict)

    def person(self, user_id: int) -> Candidate | None:
        for members in self.teams.values():
            for member in members:
                if member.user_id == user_id:
                    return member
        return self.people.get(user_id)


NOT_A_SELLER = "not an active seller"
UNAVAILABLE = "away, at capacity or not taking leads"


def _skip_reason(roster: Roster, user_id: int, on: dt.date) -> str | None:
    """None if this person can take a lead on `on`, else why not."""
    person = roster.person(user_id)
    if person is None:
        return NOT_A_SELLER
    return None if person.available(on) else UNAVAILABLE


def _explained(chosen_by: str, skipped: Sequence[str]) -> str:
    return f"{chosen_by} ({'; '.join(skipped)})" if skipped else chosen_by


def route(
    attributes: Mapping[str, str],
    rules: Sequence[RoutingRule],
    roster: Roster,
    on: dt.date,
    *,
    account_owner: int | None = None,
) -> Assignment:
    skipped: list[str] = []  # who was passed over and why, for `chosen_by`
    if account_owner is not None:
        why = _skip_reason(roster, account_owner, on)
        if why is None:
            return Assignment(account_owner, "account owner")
        if why == NOT_A_SELLER:  # an away owner falls through as it always did, unremarked
            skipped.append(f"account owner user {account_owner} skipped: {why}")
    for rule in rules:
        if not all(c.matches(attributes) for c in rule.conditions):
            continue
        chosen_by = _explained(f"rule: {rule.name}", skipped)
        if rule.user_id is not None:
            why = _skip_reason(roster, rule.user_id, on)
            if why is None:
                return Assignment(rule.user_id, chosen_by, rule=rule.name)
            if why == NOT_A_SELLER:
                skipped.append(f"rule {rule.name!r} skipped: user {rule.user_id} is {why}")
            continue  # the named person cannot take it now: try the next rule
        assert rule.team is not None
        state = roster.states.setdefault(rule.team, RotationState())
        chosen = next_owner(roster.teams.get(rule.team, ()), state, on)
        if chosen is not None:
            return Assignment(chosen, chosen_by, rule.team, rule=rule.name)
    return Assignment(None, _explained("fallback: no rule matched an available owner", skipped))
