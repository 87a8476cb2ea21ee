"""On a small demo, every metric and every breakdown gives the same values on ClickHouse
(chDB, embedded) as on the record store and the DuckDB copy."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accord.metrics import clickhouse, clickhouse_copy, columnar
from accord.metrics.catalogue import METRICS, MetricSpec, measure

SEED = 29
CONTACTS = 2_000
pytestmark = pytest.mark.django_db


def test_every_metric_and_breakdown_agrees_on_clickhouse(  # type: ignore[no-untyped-def]
    demo, settings: Any, tmp_path: Any
) -> None:
    settings.DATA_DIR = tmp_path
    settings.ANALYTICS_URL = f"chdb://{tmp_path}/clickhouse"
    try:
        ws = demo.dataset.workspace
        as_of = dt.datetime.fromisoformat(demo.dataset.summary["as_of"])
        shipped = clickhouse_copy.sync()
        assert shipped["crm_contact"] >= CONTACTS and shipped["marketing_touchpoint"] > 0
        columnar.sync()
        compared = 0
        start, end = as_of - dt.timedelta(days=182), as_of
        for metric in (m for m in METRICS if m.engines == "both"):
            for breakdown in metric.breakdowns:
                spec = MetricSpec(metric=metric.key, start=start, end=end, breakdown=breakdown)
                stored = measure(ws.pk, spec)
                copied = measure(ws.pk, spec, "columnar")
                analytics = measure(ws.pk, spec, "analytics")
                assert analytics.engine == "analytics"
                assert analytics.values == stored.values == copied.values, (metric.key, breakdown)
                compared += len(stored.values)
        assert compared > 1_000  # every breakdown's values, not empty answers
    finally:
        clickhouse.close()
        columnar.close()
