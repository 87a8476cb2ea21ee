"""The demo generator: pure numpy sampling of one chunk of companies, contacts and everything
that happened to them, from known parameters. No Django import here: the loader turns a
`Chunk` into rows.

The population (companies; contacts' creation times, companies and names) is drawn once, in
creation order (`accord.demo.population`); chunk k then draws everything else about contacts
[start, stop) from its own stream ``default_rng([seed, 1, k])``. The same seed and contact count
always give the same data, and chunks are generated one at a time in bounded memory.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

import numpy as np

from accord.demo.engagement import (
    ActivityBlock,
    TouchpointBlock,
    sample_activities,
    sample_touchpoints,
)
from accord.demo.experiment_plan import arms, sql_factor
from accord.demo.funnel import (
    CUSTOMER,
    DISQUALIFIED,
    LEAD,
    MQL,
    OPPORTUNITY,
    RECYCLED,
    SAL,
    SQL,
    DealBlock,
    LedgerBlock,
    build_ledger,
    pick,
    sample_deals,
    sample_funnel,
)
from accord.demo.parameters import DemoParameters
from accord.demo.population import Population, company_domains, company_names
from accord.demo.timeline import CampaignPlan, Timeline
from accord.demo.vocabulary import (
    COUNTRIES,
    DEPARTMENTS,
    FIRST_NAMES,
    FREE_MAIL_DOMAINS,
    INDUSTRIES,
    LAST_NAMES,
    SENIORITIES,
    title_for,
)

SIX_DAYS = dt.timedelta(days=6)
MAX_CHUNK = 25_000
MIN_CHUNK = 1_000


def chunk_sizes(contacts: int) -> list[int]:
    """Chunks of at most 25,000 contacts, about ten of them for small datasets."""
    size = min(MAX_CHUNK, max(MIN_CHUNK, math.ceil(contacts / 10)))
    full, rest = divmod(contacts, size)
    return [size] * full + ([rest] if rest else [])


def _slug(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


FIRST_SLUGS = [_slug(n) for n in FIRST_NAMES]
LAST_SLUGS = [_slug(n) for n in LAST_NAMES]
TITLES = np.array(
    [[title_for(s, d, role) for d, _, role in DEPARTMENTS] for s, _ in SENIORITIES], dtype=object
)


@dataclass
class CompanyBlock:
    """Companies [start, stop) of the population, ready to write."""

    start: int
    name: list[str]
    domain: list[str]
    industry: list[str]
    employees: np.ndarray
    country: list[str]
    rep: np.ndarray  # account owner (rep index)
    created: np.ndarray


def company_block(population: Population, start: int, stop: int) -> CompanyBlock:
    indices = np.arange(start, stop)
    return CompanyBlock(
        start=start,
        name=company_names(population, indices),
        domain=company_domains(indices),
        industry=[INDUSTRIES[i][0] for i in population.industry[start:stop].tolist()],
        employees=population.employees[start:stop],
        country=[COUNTRIES[c][0] for c in population.country[start:stop].tolist()],
        rep=population.rep[start:stop],
        created=population.company_created[start:stop],
    )


@dataclass
class ContactBlock:
    email: list[str]
    first_name: list[str]
    last_name: list[str]
    title: list[str]
    seniority: list[str]
    department: list[str]
    phone: list[str]
    company: np.ndarray  # population company index, -1 for none
    company_name: list[str]
    country: list[str]
    owner: np.ndarray  # rep index, -1 before the MQL
    stage: np.ndarray  # index into funnel.STAGES
    lead_status: list[str]
    channel: np.ndarray
    campaign: np.ndarray  # source campaign, -1 for none
    created: np.ndarray
    updated: np.ndarray


@dataclass
class Chunk:
    index: int
    start: int  # population index of the first contact
    experiment_arm: np.ndarray  # per contact: -1 not in the planted experiment, 0/1 its arm
    contacts: ContactBlock
    ledger: LedgerBlock
    touchpoints: TouchpointBlock
    activities: ActivityBlock
    deals: DealBlock
    leads_by_campaign_week: np.ndarray  # [campaign, week] new contacts


def _lead_status(rng: np.random.Generator, stage: np.ndarray, touched: np.ndarray) -> list[str]:
    status = np.full(len(stage), "", dtype=object)
    status[stage == LEAD] = np.where(rng.random(int((stage == LEAD).sum())) < 0.3, "open", "new")
    status[stage == MQL] = np.where(touched[stage == MQL], "attempted_to_contact", "new")
    status[stage == SAL] = "in_progress"
    status[stage == SQL] = "connected"
    status[stage == OPPORTUNITY] = "open_deal"
    status[stage == RECYCLED] = "bad_timing"
    status[stage == DISQUALIFIED] = "unqualified"
    status[stage == CUSTOMER] = ""
    return status.tolist()


def _emails(population: Population, start: int, stop: int) -> list[str]:
    """first.last@company-domain, numbered when the name repeats at the company; personal
    addresses carry the contact's number, so every address is unique."""
    company = population.company[start:stop]
    domains = np.full(stop - start, "", dtype=object)
    has = company >= 0
    domains[has] = company_domains(company[has])
    free = np.array(FREE_MAIL_DOMAINS, dtype=object)[
        (population.first[start:stop] + population.last[start:stop]) % len(FREE_MAIL_DOMAINS)
    ]
    columns = (
        population.first[start:stop].tolist(),
        population.last[start:stop].tolist(),
        population.email_rank[start:stop].tolist(),
        domains.tolist(),
        free.tolist(),
    )
    emails = []
    for number, (f, la, rank, domain, personal) in enumerate(zip(*columns, strict=True), start):
        name = f"{FIRST_SLUGS[f]}.{LAST_SLUGS[la]}"
        if domain:
            emails.append(f"{name}{rank + 1 if rank else ''}@{domain}")
        else:
            emails.append(f"{name}{number}@{personal}")
    return emails


def generate_chunk(
    p: DemoParameters,
    timeline: Timeline,
    plan: CampaignPlan,
    population: Population,
    *,
    seed: int,
    index: int,
    start: int,
    stop: int,
) -> Chunk:
    rng = np.random.default_rng([seed, 1, index])
    size = stop - start
    created = population.created[start:stop]
    company = population.company[start:stop]
    has_company = company >= 0
    known = np.where(has_company, company, 0)

    channel = rng.choice(len(p.channels), size, p=[c.lead_share for c in p.channels])
    department = rng.choice(len(DEPARTMENTS), size, p=[w for _, w, _ in DEPARTMENTS])
    seniority = rng.choice(len(SENIORITIES), size, p=[w for _, w in SENIORITIES])
    own_country = rng.choice(len(COUNTRIES), size, p=[w for _, w, _ in COUNTRIES])
    country = np.where(has_company, population.country[known], own_country)
    has_phone = rng.random(size) < 0.7
    digits = rng.integers(200_000_000, 999_999_999, size)
    weights = np.array([r.routing_weight for r in p.reps])
    rep = np.where(
        has_company,
        population.rep[known],
        rng.choice(len(p.reps), size, p=weights / weights.sum()),
    )
    segment = np.where(has_company, population.segment[known], 0)
    variant = pick(rng, plan.variant_cdf, channel)
    campaign = plan.lookup[channel, timeline.quarter_of(created), variant]

    arm = arms(seed, start, created, timeline.now)
    funnel = sample_funnel(
        rng, p, channel=channel, created=created, rep=rep, segment=segment, now=timeline.now,
        sql_factor=sql_factor(arm),
    )  # fmt: skip
    deals = sample_deals(rng, p, funnel, channel=channel, segment=segment, now=timeline.now)
    ledger, stage, updated = build_ledger(funnel, rep, created, deals)
    touchpoints = sample_touchpoints(
        rng,
        p,
        timeline=timeline,
        plan=plan,
        channel=channel,
        source_campaign=campaign,
        created=created,
        f=funnel,
    )
    activities = sample_activities(
        rng, p, channel=channel, rep=rep, f=funnel, deals=deals, now=timeline.now
    )
    leads = np.zeros((len(plan.specs), timeline.weeks), dtype=np.int64)
    with_campaign = campaign >= 0
    np.add.at(leads, (campaign[with_campaign], timeline.week_of(created[with_campaign])), 1)

    company_name = np.full(size, "", dtype=object)
    company_name[has_company] = company_names(population, company[has_company])
    dial = [code for _, _, code in COUNTRIES]
    contacts = ContactBlock(
        email=_emails(population, start, stop),
        first_name=[FIRST_NAMES[i] for i in population.first[start:stop].tolist()],
        last_name=[LAST_NAMES[i] for i in population.last[start:stop].tolist()],
        title=TITLES[seniority, department].tolist(),
        seniority=[SENIORITIES[i][0] for i in seniority.tolist()],
        department=[DEPARTMENTS[i][0] for i in department.tolist()],
        phone=[
            f"+{dial[c]} {d // 1_000_000} {d // 1_000 % 1_000:03d} {d % 1_000:03d}" if h else ""
            for c, d, h in zip(country.tolist(), digits.tolist(), has_phone.tolist(), strict=True)
        ],
        company=company,
        company_name=company_name.tolist(),
        country=[COUNTRIES[i][0] for i in country.tolist()],
        owner=np.where(funnel.r_mql, rep, -1),
        stage=stage,
        lead_status=_lead_status(rng, stage, funnel.r_first),
        channel=channel,
        campaign=campaign,
        created=created,
        updated=updated,
    )
    return Chunk(
        index=index,
        start=start,
        experiment_arm=arm,
        contacts=contacts,
        ledger=ledger,
        touchpoints=touchpoints,
        activities=activities,
        deals=deals,
        leads_by_campaign_week=leads,
    )


def weekly_costs(
    p: DemoParameters,
    timeline: Timeline,
    plan: CampaignPlan,
    leads: np.ndarray,
    seed: int,
) -> list[tuple[int, dt.date, float]]:
    """(campaign, date, amount) cost rows: each campaign's spend is its leads x the channel's
    cost per lead, spread over the weeks it ran in proportion to its leads (with noise)."""
    rng = np.random.default_rng([seed, 2])
    rows: list[tuple[int, dt.date, float]] = []
    week_dates = [timeline.week_start(w) for w in range(timeline.weeks)]
    for index, spec in enumerate(plan.specs):
        cpl = p.channels[spec.channel].cost_per_lead
        noise = rng.lognormal(0.0, 0.15, timeline.weeks)
        total_leads = int(leads[index].sum())
        if cpl <= 0 or total_leads == 0:
            continue
        active = np.array(
            [
                spec.start_date <= d + SIX_DAYS and d <= min(spec.end_date, timeline.as_of.date())
                for d in week_dates
            ]
        )
        weights = np.where(active, (leads[index] + 0.5) * noise, 0.0)
        cents = round(total_leads * cpl * 100)
        shares = np.floor(weights / weights.sum() * cents).astype(np.int64)
        shares[np.nonzero(weights)[0][-1]] += cents - shares.sum()
        rows.extend(
            (index, max(week_dates[w], spec.start_date), c / 100)
            for w, c in enumerate(shares.tolist())
            if c > 0
        )
    return rows
