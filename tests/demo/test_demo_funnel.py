"""The cohort funnel on demo data recovers the generator's true per-channel conversion rates:
for each channel, lead → MQL and MQL → SAL of a cohort old enough for every delay to have
resolved lie within their Wilson intervals — on the record store and on the columnar copy,
which agree exactly. With 26 rates checked at once, the intervals are widened for the family
(Bonferroni): each at 1 - 0.05/26, so that all hold together with 95 % probability; plain 95 %
intervals would miss about one true rate in twenty by design."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from scipy.stats import norm

from accord.core.intervals import wilson
from accord.demo.parameters import DEFAULT_PARAMETERS as P
from accord.metrics.funnel import FunnelSpec, funnel

SEED = 11
CONTACTS = 12_000
pytestmark = pytest.mark.django_db


def test_cohort_funnel_recovers_the_channel_rates(demo, settings: Any, tmp_path: Any) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path
    ws = demo.dataset.workspace
    as_of = dt.datetime.fromisoformat(demo.dataset.summary["as_of"])
    d = P.delays
    # Every lead of the cohort has had its MQL, first touch and decision by now.
    settled = dt.timedelta(
        days=d.subscriber_to_lead.max_days + d.lead_to_mql.max_days + d.decision.max_days + 1,
        hours=P.first_touch_max_hours,
    )
    spec = FunnelSpec(
        view="cohort", start=as_of - dt.timedelta(days=400), end=as_of - settled,
        breakdown="source",
    )  # fmt: skip
    stored = funnel(ws.pk, spec)
    copied = funnel(ws.pk, spec, engine="columnar")
    assert [(r.dimension, r.counts) for r in stored.rows] == [
        (r.dimension, r.counts) for r in copied.rows
    ]
    rows = {r.dimension: r for r in stored.rows}
    family = 2 * len(P.channels)
    z = float(norm.ppf(1 - 0.05 / (2 * family)))
    checked = 0
    for channel in P.channels:
        row = rows[channel.channel]
        for name, truth in (("lead→mql", channel.lead_to_mql), ("mql→sal", channel.mql_to_sal)):
            observed = row.conversions[name]
            assert observed.n >= 30, (channel.channel, name)
            low, high = wilson(observed.successes, observed.n, z)
            assert low <= truth <= high, (channel.channel, name, observed)
            checked += 1
    assert checked == family
