"""Back-tests on demo data: exact counts for a definition that qualifies everyone, and a stricter
definition that yields fewer MQLs with a higher MQL → SQL rate, as the generator's true
parameters say it should."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest

from accord.crm.models import Contact
from accord.definitions.backtest import backtest
from accord.definitions.tests.factories import active_version
from accord.demo.parameters import DEFAULT_PARAMETERS as P
from tests.demo.conftest import demo, fast_demo_settings

__all__ = ["demo", "fast_demo_settings"]

SEED = 11
CONTACTS = 12_000
STRICT_CHANNELS = ["webinar", "event"]  # the channels with the best lead → SQL odds

pytestmark = pytest.mark.django_db

EVERYONE: dict[str, Any] = {"schema_version": 1, "mql": {"fit_min": 0, "engagement_min": 0}}
STRICT: dict[str, Any] = {
    "schema_version": 1,
    "fit_rules": [
        {
            "id": "warm",
            "attribute": "original_source",
            "operator": "in",
            "value": STRICT_CHANNELS,
            "points": 10,
        }
    ],
    "mql": {"fit_min": 10, "engagement_min": 0},
}


def _sql_odds(channel: str) -> float:
    c = P.channel(channel)
    return c.lead_to_mql * c.mql_to_sal * c.sal_to_sql


def test_a_definition_that_qualifies_everyone_counts_every_new_contact(demo) -> None:  # type: ignore[no-untyped-def]
    workspace = demo.dataset.workspace
    result = backtest(workspace, EVERYONE, months=6)
    created = Contact.objects.for_workspace(workspace).values_list("created_at", flat=True)
    expected = Counter(c.strftime("%Y-%m") for c in created if result.start <= c <= result.end)
    # The six calendar months up to the end, those without a new contact included (the demo
    # ends an hour of yesterday, so in a month's first day the current month has none yet).
    year, month = result.end.year, result.end.month
    months = []
    for _ in range(6):
        months.insert(0, f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    assert result.months == months
    assert result.proposed.per_month == [expected[m] for m in months]
    assert result.proposed.mqls == sum(expected.values())
    assert result.active is None
    assert result.reps == 9


def test_a_stricter_definition_has_fewer_mqls_that_convert_better(demo) -> None:  # type: ignore[no-untyped-def]
    workspace = demo.dataset.workspace
    active = active_version(workspace, EVERYONE)
    result = backtest(workspace, STRICT, months=12)
    broad, strict = result.active, result.proposed
    assert broad is not None and broad.label == active.label
    assert 0 < strict.mqls < broad.mqls
    assert (result.gained, result.lost) == (0, broad.mqls - strict.mqls)
    assert len(result.lost_examples) == 20
    # Higher MQL → SQL, and the intervals do not even overlap.
    assert strict.rates["sql"].low > broad.rates["sql"].high
    assert strict.rates["sql"].value > broad.rates["sql"].value  # type: ignore[operator]
    # The uplift matches the generator's true odds for the channels each version admits,
    # weighted by the channel mix of its MQLs (censoring of recent months cancels out).
    sources = dict(Contact.objects.for_workspace(workspace).values_list("id", "original_source"))
    mix = Counter(sources.values())
    expected_broad = sum(mix[c.channel] * _sql_odds(c.channel) for c in P.channels) / sum(
        mix[c.channel] for c in P.channels
    )
    expected_strict = sum(mix[c] * _sql_odds(c) for c in STRICT_CHANNELS) / sum(
        mix[c] for c in STRICT_CHANNELS
    )
    observed = strict.rates["sql"].value / broad.rates["sql"].value  # type: ignore[operator]
    assert observed == pytest.approx(expected_strict / expected_broad, rel=0.2)
    # Load on sales: MQLs per rep per week.
    weeks = (result.end - result.start).total_seconds() / (7 * 86400)
    assert strict.per_rep_week == pytest.approx(strict.mqls / weeks / result.reps)
    assert np.sum(strict.per_month) == strict.mqls


def test_the_demo_ships_a_proposed_definition_waiting_for_sales(demo) -> None:  # type: ignore[no-untyped-def]
    from accord.definitions.backtest import backtest_version
    from accord.definitions.models import LeadDefinition

    workspace = demo.dataset.workspace
    definition = LeadDefinition.objects.for_workspace(workspace).get()
    assert (definition.version, definition.status) == (1, "proposed")
    assert list(definition.approvals.values_list("team_kind", "user__email")) == [
        ("marketing", "marketing.manager@northwind.example")
    ]
    assert definition.author is not None and definition.author.email.endswith("@northwind.example")
    result = backtest_version(workspace, definition, months=12)
    assert result.active is None and 0 < result.proposed.mqls < CONTACTS
