"""Routing a new MQL to a sales owner: pure Python, no Django.

In order: the company's account owner, if the company has one and that person can take it; else
the first rule whose conditions all match names a person or a team (a team rotates through its
available members, `rotation.next_owner`); else the fallback. Every result says which rule (or
reason) chose it, so the assignment can be recorded and explained. Conditions compare text case-
and space-insensitively; a missing attribute never matches, except for `is_empty`.
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


@dataclass
class Roster:
    """Who can take leads, per team, and each team's rotation state."""

    teams: Mapping[str, Sequence[Candidate]]
    states: dict[str, RotationState] = field(default_factory=dict)

    def person(self, user_id: int) -> Candidate | None:
        for members in self.teams.values():
            for member in members:
                if member.user_id == user_id:
                    return member
        return None


def route(
    attributes: Mapping[str, str],
    rules: Sequence[RoutingRule],
    roster: Roster,
    on: dt.date,
    *,
    account_owner: int | None = None,
) -> Assignment:
    if account_owner is not None:
        owner = roster.person(account_owner)
        if owner is None or owner.available(on):  # unknown to the roster: still the owner
            return Assignment(account_owner, "account owner")
    for rule in rules:
        if not all(c.matches(attributes) for c in rule.conditions):
            continue
        if rule.user_id is not None:
            person = roster.person(rule.user_id)
            if person is None or person.available(on):
                return Assignment(rule.user_id, f"rule: {rule.name}")
            continue  # the named person is away or full: try the next rule
        assert rule.team is not None
        state = roster.states.setdefault(rule.team, RotationState())
        chosen = next_owner(roster.teams.get(rule.team, ()), state, on)
        if chosen is not None:
            return Assignment(chosen, f"rule: {rule.name}", rule.team)
    return Assignment(None, "fallback: no rule matched an available owner")
