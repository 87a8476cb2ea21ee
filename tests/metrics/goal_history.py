"""Hand-made histories for the goal tests: contacts walked through the lifecycle at known times,
won deals of known amounts and campaign costs on known days, all through the services, so every
number a plan rests on can be worked out by hand.

The clock is fixed at NOW (16 December 2026, 12:00 UTC; use time_machine). A December 2026 goal
plans from the look-back window [1 December 2025, 1 December 2026) and paces December's actuals.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from typing import Any

from accord.crm.selectors import pipeline_stages
from accord.crm.services import companies, contacts, deals, ledger
from accord.identity.actor import Actor
from accord.marketing import services as marketing
from accord.metrics.models import Goal

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 16, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
DECEMBER = dt.date(2026, 12, 1)
HISTORY_START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # inside the look-back window
PATH = ("lead", "mql", "sal", "sql", "opportunity", "customer")
# Days spent in each stage before the next transition (so time_in_stage is known exactly).
STAY_DAYS = {"lead": 10, "mql": 4, "sal": 2, "sql": 6, "opportunity": 8}
_serial = itertools.count(1)


def walk(
    actor: Actor,
    furthest: str,
    *,
    created_at: dt.datetime = HISTORY_START,
    company_id: int | None = None,
    stays: dict[str, int] | None = None,
    source: str = "",
) -> int:
    """A contact created as a lead at `created_at` that moves up the path to `furthest`,
    spending `stays[stage]` days in each stage."""
    days = stays or STAY_DAYS
    values: dict[str, Any] = {
        "email": f"person{next(_serial)}@history.example",
        "lifecycle_stage": "lead",
        "created_at": created_at,
    }
    if company_id is not None:
        values["company_id"] = company_id
    if source:
        values["original_source"] = source
    contact = contacts.contact_create(actor=actor, values=values)
    moment = created_at
    for before, after in itertools.pairwise(PATH[: PATH.index(furthest) + 1]):
        moment += dt.timedelta(days=days[before])
        ledger.change_stage(actor=actor, contact_id=contact.pk, to_stage=after, occurred_at=moment)
    return contact.pk


def cohort(actor: Actor, reached: dict[str, int], **kwargs: Any) -> None:
    """`reached[stage]` contacts whose furthest stage is `stage`."""
    for stage, count in reached.items():
        for _ in range(count):
            walk(actor, stage, **kwargs)


def won_deals(
    actor: Actor,
    amounts: Sequence[str | int],
    *,
    closed_at: dt.datetime = HISTORY_START + dt.timedelta(days=60),
    company_id: int | None = None,
    source: str = "",
) -> None:
    stages = {s.key: s for s in pipeline_stages(actor.workspace)}
    for amount in amounts:
        values: dict[str, Any] = {
            "name": f"Deal {next(_serial)}",
            "amount": str(amount),
            "stage_id": stages["closed_won"].pk,
            "closed_at": closed_at,
            "created_at": closed_at - dt.timedelta(days=30),
        }
        if company_id is not None:
            values["company_id"] = company_id
        if source:
            values["source"] = source
        deals.deal_create(actor=actor, values=values)


def spend(actor: Actor, amount: str, day: dt.date, channel: str = "paid_search") -> None:
    campaign = marketing.campaign_create(
        actor=actor,
        values={"name": f"Campaign {next(_serial)}", "channel": channel, "type": "ads"},
    )
    marketing.campaign_cost_add(
        actor=actor, campaign_id=campaign.pk, values={"date": day, "amount": amount}
    )


def company(actor: Actor, employees: int) -> int:
    n = next(_serial)
    made = companies.company_create(
        actor=actor,
        values={
            "name": f"Company {n}",
            "domain": f"company{n}.example",
            "employee_count": employees,
        },
    )
    return made.pk


# The two histories --------------------------------------------------------------------------

# The hand-made one: 30 leads, 12 MQLs, 9 SALs, 6 SQLs, 4 opportunities, 2 customers in the
# cohort; 10 won deals of $1,000; $3,000 of spend over the window's 30 new leads ($100 a lead).
HAND_MADE = {"lead": 18, "mql": 3, "sal": 3, "sql": 2, "opportunity": 2, "customer": 2}
HAND_MADE_COUNTS = {"lead": 30, "mql": 12, "sal": 9, "sql": 6, "opportunity": 4, "customer": 2}


def hand_made(actor: Actor, **kwargs: Any) -> None:
    cohort(actor, HAND_MADE, **kwargs)
    won_deals(actor, [1000] * 10, company_id=kwargs.get("company_id"))
    spend(actor, "3000", dt.date(2026, 5, 1))


# The seeds' worked example: 20 leads of whom 2 (10 %) become customers, through 10 MQLs,
# 8 SALs, 4 SQLs and 4 opportunities; two won deals of $1,000 (the average deal size).
WORKED = {"lead": 10, "mql": 2, "sal": 4, "opportunity": 2, "customer": 2}
WORKED_COUNTS = {"lead": 20, "mql": 10, "sal": 8, "sql": 4, "opportunity": 4, "customer": 2}


def worked_example(actor: Actor) -> None:
    cohort(actor, WORKED)
    won_deals(actor, [1000, 1000])


def december_actuals(actor: Actor) -> None:
    """December so far: 20 new leads, 16 of them MQLs by the 10th; 6 deals won for $5,200."""
    for i in range(20):
        created = dt.datetime(2026, 12, 2 + i % 14, 9, 0, tzinfo=UTC)
        contact = walk(actor, "lead", created_at=created)
        if i < 16:
            ledger.change_stage(
                actor=actor,
                contact_id=contact,
                to_stage="mql",
                occurred_at=dt.datetime(2026, 12, 15, 10, 0, tzinfo=UTC),
            )
    won_deals(actor, [1000] * 5 + [200], closed_at=dt.datetime(2026, 12, 9, 15, 0, tzinfo=UTC))


def december_goal(actor: Actor, revenue: str = "10000", **values: Any) -> Goal:
    from accord.metrics.goals import goal_set

    return goal_set(
        actor=actor,
        values={"period": "month", "period_start": DECEMBER, "revenue": revenue, **values},
    )
