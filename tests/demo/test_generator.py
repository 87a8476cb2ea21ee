"""The pure generator: parameters, calendar, chunks and costs (no database)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pytest

from accord.demo.funnel import LEAD, NONE, STAGES, SUBSCRIBER
from accord.demo.generator import chunk_sizes, generate_chunk, weekly_costs
from accord.demo.parameters import DEFAULT_PARAMETERS, DemoParameters, validate
from accord.demo.population import DOMAIN_SPACE, company_domains, draw_population
from accord.demo.rows import ChunkIds, Formatter, Targets
from accord.demo.timeline import build_timeline, plan_campaigns
from tests.demo.stats import binomial_interval

AS_OF = dt.datetime(2026, 5, 14, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def timeline():  # type: ignore[no-untyped-def]
    return build_timeline(DEFAULT_PARAMETERS, AS_OF)


@pytest.fixture(scope="module")
def plan(timeline):  # type: ignore[no-untyped-def]
    return plan_campaigns(DEFAULT_PARAMETERS, timeline, seed=5, contacts=10_000)


def _chunk(timeline, plan, seed=5, size=10_000):  # type: ignore[no-untyped-def]
    population = draw_population(DEFAULT_PARAMETERS, timeline, seed=seed, contacts=size)
    return generate_chunk(
        DEFAULT_PARAMETERS, timeline, plan, population, seed=seed, index=0, start=0, stop=size
    )


def test_parameters_round_trip_through_json() -> None:
    data = json.loads(json.dumps(DEFAULT_PARAMETERS.to_dict()))

    assert DemoParameters.from_dict(data) == DEFAULT_PARAMETERS
    assert data["rejection_reasons"][0] == ["Bad fit: company too small", "disqualified"]


def test_validate_refuses_shares_that_do_not_sum_to_one() -> None:
    first = dataclasses.replace(DEFAULT_PARAMETERS.channels[0], lead_share=0.5)
    broken = dataclasses.replace(
        DEFAULT_PARAMETERS, channels=(first, *DEFAULT_PARAMETERS.channels[1:])
    )

    validate(DEFAULT_PARAMETERS)
    with pytest.raises(ValueError, match="channel lead shares must sum to 1"):
        validate(broken)


def test_reps_have_distinct_follow_up_speeds() -> None:
    medians = [r.median_first_touch_hours for r in DEFAULT_PARAMETERS.reps]

    assert len(set(medians)) == len(medians) == 9
    assert sorted(medians) == medians


def test_chunk_sizes_cover_the_dataset_in_bounded_chunks() -> None:
    assert chunk_sizes(20_000) == [2_000] * 10
    assert chunk_sizes(1_000_000) == [25_000] * 40
    assert chunk_sizes(2_500) == [1_000, 1_000, 500]
    assert chunk_sizes(1) == [1]


def test_company_domains_are_distinct_beyond_the_word_space() -> None:
    domains = company_domains(np.arange(DOMAIN_SPACE + 50))

    assert len(set(domains)) == DOMAIN_SPACE + 50
    assert all(d == d.lower() and " " not in d for d in domains[:1000])


def test_timeline_ends_now_with_quarters_and_weeks(timeline) -> None:  # type: ignore[no-untyped-def]
    assert timeline.as_of == AS_OF
    assert timeline.origin == dt.datetime(2025, 5, 14, tzinfo=dt.UTC)
    assert [q.label for q in timeline.quarters] == [
        "Q2 2025",
        "Q3 2025",
        "Q4 2025",
        "Q1 2026",
        "Q2 2026",
    ]
    assert timeline.week0 == dt.date(2025, 5, 12)
    assert timeline.datetime_strings(np.array([3661.5]), sqlite=True) == [
        "2025-05-14 01:01:01.500000"
    ]
    assert timeline.datetime_strings(np.array([0.0]), sqlite=False) == [
        "2025-05-14T00:00:00.000000+00:00"
    ]


def test_contacts_are_numbered_in_creation_order(timeline) -> None:  # type: ignore[no-untyped-def]
    population = draw_population(DEFAULT_PARAMETERS, timeline, seed=1, contacts=5_000)
    has = population.company >= 0

    assert (np.diff(population.created) >= 0).all()
    assert population.created.max() <= timeline.now
    assert population.companies == 1_250
    first_contact = np.full(population.companies, np.inf)
    np.minimum.at(first_contact, population.company[has], population.created[has])
    worked = np.isfinite(first_contact)
    assert np.array_equal(population.company_created[worked], first_contact[worked])


def test_the_same_seed_draws_the_same_chunk(timeline, plan) -> None:  # type: ignore[no-untyped-def]
    a, b = _chunk(timeline, plan), _chunk(timeline, plan)
    other = _chunk(timeline, plan, seed=6)

    assert a.contacts.email == b.contacts.email
    assert np.array_equal(a.ledger.at, b.ledger.at)
    assert a.touchpoints.landing_page == b.touchpoints.landing_page
    assert np.array_equal(a.deals.amount, b.deals.amount)
    assert a.contacts.email != other.contacts.email


def test_a_chunk_is_internally_consistent(timeline, plan) -> None:  # type: ignore[no-untyped-def]
    chunk = _chunk(timeline, plan)
    c, lg = chunk.contacts, chunk.ledger

    assert len(set(c.email)) == 10_000
    first_rows = np.r_[True, lg.contact[1:] != lg.contact[:-1]]
    assert np.array_equal(lg.contact[first_rows], np.arange(10_000))
    assert set(lg.from_stage[first_rows].tolist()) == {NONE}
    assert set(lg.to_stage[first_rows].tolist()) == {LEAD, SUBSCRIBER}
    last_rows = np.r_[lg.contact[1:] != lg.contact[:-1], True]
    assert np.array_equal(lg.to_stage[last_rows], c.stage)
    chained = ~first_rows
    assert np.array_equal(lg.from_stage[chained], lg.to_stage[np.nonzero(chained)[0] - 1])
    assert lg.at.max() <= timeline.now
    assert chunk.touchpoints.at.max() <= timeline.now
    assert chunk.activities.at.max() <= timeline.now
    assert np.nanmax(chunk.deals.closed) <= timeline.now
    assert STAGES[LEAD] == "lead"


def test_first_touch_is_the_source_touch(timeline, plan) -> None:  # type: ignore[no-untyped-def]
    chunk = _chunk(timeline, plan)
    tp, c = chunk.touchpoints, chunk.contacts

    assert np.array_equal(tp.channel[tp.first], c.channel)
    assert np.array_equal(tp.at[tp.first], c.created)
    assert np.array_equal(tp.campaign[tp.first], c.campaign)
    others = np.ones(len(tp.contact), dtype=bool)
    others[tp.first] = False
    assert (tp.at[others] >= c.created[tp.contact[others]]).all()


def test_lead_to_mql_rate_matches_the_parameter(timeline, plan) -> None:  # type: ignore[no-untyped-def]
    chunk = _chunk(timeline, plan, size=25_000)
    lg = chunk.ledger
    horizon = timeline.now - DEFAULT_PARAMETERS.delays.lead_to_mql.max_days * 86_400
    for index, channel in enumerate(DEFAULT_PARAMETERS.channels):
        became_lead = lg.contact[(lg.to_stage == LEAD) & (lg.at <= horizon)]
        cohort = became_lead[chunk.contacts.channel[became_lead] == index]
        mql = np.unique(lg.contact[lg.to_stage == STAGES.index("mql")])
        lo, hi = binomial_interval(len(cohort), channel.lead_to_mql)

        assert lo <= np.isin(cohort, mql).sum() <= hi, channel.channel


def test_the_most_recent_chunk_has_no_deals_yet_and_still_formats(timeline, plan) -> None:  # type: ignore[no-untyped-def]
    population = draw_population(DEFAULT_PARAMETERS, timeline, seed=9, contacts=40_000)
    chunk = generate_chunk(
        DEFAULT_PARAMETERS, timeline, plan, population, seed=9, index=79, start=39_800, stop=40_000
    )
    targets = Targets(
        workspace_id=1,
        rep_user_ids=list(range(100, 109)),
        campaign_ids=list(range(1, len(plan.specs) + 1)),
        pipeline_id=1,
        stage_ids=list(range(1, 8)),
    )
    fmt = Formatter(DEFAULT_PARAMETERS, timeline, targets, ChunkIds(1, 1, 1), sqlite=True)
    tables = {
        name: getattr(fmt, name)(chunk)
        for name in ("contacts", "deals", "deal_stage_changes", "ledger", "touchpoints")
    } | {"activities": fmt.activities(chunk)}
    written = {name: list(rows) for name, (_, rows, _) in tables.items()}

    assert len(chunk.deals.contact) == 0
    assert written["deals"] == [] and written["deal_stage_changes"] == []
    assert len(written["contacts"]) == 200
    assert all(len(row) == len(tables[name][0]) for name in written for row in written[name])
    assert len(written["ledger"]) == tables["ledger"][2] >= 200


def test_weekly_costs_sum_to_leads_times_cost_per_lead(timeline, plan) -> None:  # type: ignore[no-untyped-def]
    chunk = _chunk(timeline, plan)
    costs = weekly_costs(DEFAULT_PARAMETERS, timeline, plan, chunk.leads_by_campaign_week, 5)
    spent = dict.fromkeys(range(len(DEFAULT_PARAMETERS.channels)), 0.0)
    for campaign, date, amount in costs:
        spec = plan.specs[campaign]
        spent[spec.channel] += amount
        assert spec.start_date <= date <= min(spec.end_date, AS_OF.date())
    for index, channel in enumerate(DEFAULT_PARAMETERS.channels):
        leads = int((chunk.contacts.channel == index).sum())
        assert spent[index] == pytest.approx(leads * channel.cost_per_lead, abs=0.01)
