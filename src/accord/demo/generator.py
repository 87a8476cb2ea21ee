"""The demo generator: pure numpy sampling of one chunk of companies, contacts and everything
that happened to them, from known parameters. No Django import here: the loader turns a
`Chunk` into rows.

Each chunk draws from its own random stream ``default_rng([seed, 1, chunk index])``, so the
same seed and contact count always give the same data, and chunks can be generated one at a
time in bounded memory.
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
from accord.demo.timeline import CampaignPlan, Timeline
from accord.demo.vocabulary import (
    COMPANY_FIRST,
    COMPANY_SECOND,
    COUNTRIES,
    DEPARTMENTS,
    DOMAIN_PATTERNS,
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
DOMAIN_SPACE = len(COMPANY_FIRST) * len(COMPANY_SECOND) * len(DOMAIN_PATTERNS)
DOMAIN_STEP = next(s for s in range(104_729, 10**7, 2) if math.gcd(s, DOMAIN_SPACE) == 1)


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
    name: list[str]
    domain: list[str]
    industry: list[str]
    employees: np.ndarray
    country: list[str]
    segment: np.ndarray
    rep: np.ndarray  # account owner (rep index); set on the record once a contact is an MQL
    owned: np.ndarray
    created: np.ndarray


@dataclass
class ContactBlock:
    email: list[str]
    first_name: list[str]
    last_name: list[str]
    title: list[str]
    seniority: list[str]
    department: list[str]
    phone: list[str]
    company: np.ndarray  # chunk-local company index, -1 for none
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
    companies: CompanyBlock
    contacts: ContactBlock
    ledger: LedgerBlock
    touchpoints: TouchpointBlock
    activities: ActivityBlock
    deals: DealBlock
    leads_by_campaign_week: np.ndarray  # [campaign, week] new contacts


def company_domains(indices: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A distinct domain per company index: a bijection onto first x second x pattern, with a
    number appended once the space is used up."""
    position = (indices % DOMAIN_SPACE * DOMAIN_STEP + 7) % DOMAIN_SPACE
    lap = indices // DOMAIN_SPACE
    pattern = position % len(DOMAIN_PATTERNS)
    rest = position // len(DOMAIN_PATTERNS)
    second, first = rest % len(COMPANY_SECOND), rest // len(COMPANY_SECOND)
    domains = [
        DOMAIN_PATTERNS[p].format(
            f"{COMPANY_FIRST[a]}{COMPANY_SECOND[b]}".lower() + (str(k + 1) if k else "")
        )
        for a, b, p, k in zip(
            first.tolist(), second.tolist(), pattern.tolist(), lap.tolist(), strict=True
        )
    ]
    return first, second, domains


def _companies(
    rng: np.random.Generator, p: DemoParameters, timeline: Timeline, count: int, offset: int
) -> CompanyBlock:
    segment = rng.choice(len(p.segments), count, p=[s.share for s in p.segments])
    low = np.log([s.min_employees for s in p.segments])[segment]
    high = np.log([s.max_employees + 1 for s in p.segments])[segment]
    employees = np.floor(np.exp(low + rng.random(count) * (high - low))).astype(np.int64)
    industry = rng.choice(len(INDUSTRIES), count, p=[w for _, w, _ in INDUSTRIES])
    suffix_pick = rng.random(count)
    with_suffix = rng.random(count) < 0.7
    country = rng.choice(len(COUNTRIES), count, p=[w for _, w, _ in COUNTRIES])
    weights = np.array([r.routing_weight for r in p.reps])
    rep = rng.choice(len(p.reps), count, p=weights / weights.sum())
    created = timeline.sample_times(rng, count, np.array(p.hourly_weights) / sum(p.hourly_weights))
    first, second, domains = company_domains(np.arange(offset, offset + count))
    names = []
    for a, b, i, u, s in zip(
        first.tolist(), second.tolist(), industry.tolist(), suffix_pick.tolist(),
        with_suffix.tolist(), strict=True,
    ):  # fmt: skip
        suffixes = INDUSTRIES[i][2]
        suffix = f" {suffixes[int(u * len(suffixes))]}" if s else ""
        names.append(f"{COMPANY_FIRST[a]} {COMPANY_SECOND[b]}{suffix}")
    return CompanyBlock(
        name=names,
        domain=domains,
        industry=[INDUSTRIES[i][0] for i in industry.tolist()],
        employees=employees,
        country=[COUNTRIES[c][0] for c in country.tolist()],
        segment=segment,
        rep=rep,
        owned=np.zeros(count, dtype=bool),
        created=created,
    )


def _emails(
    rng: np.random.Generator,
    *,
    first: np.ndarray,
    last: np.ndarray,
    company: np.ndarray,
    domains: list[str],
    global_offset: int,
) -> list[str]:
    """first.last@company-domain, numbered within a company when a name repeats; personal
    addresses carry the contact's global number, so every address is unique."""
    n = len(first)
    key = (company * len(FIRST_NAMES) + first) * len(LAST_NAMES) + last
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - group_start
    free = rng.integers(0, len(FREE_MAIL_DOMAINS), n)
    emails = []
    columns = (first.tolist(), last.tolist(), company.tolist(), rank.tolist(), free.tolist())
    for i, (f, la, c, r, fm) in enumerate(zip(*columns, strict=True)):
        if c < 0:
            emails.append(
                f"{FIRST_SLUGS[f]}.{LAST_SLUGS[la]}{global_offset + i}@{FREE_MAIL_DOMAINS[fm]}"
            )
        else:
            number = str(r + 1) if r else ""
            emails.append(f"{FIRST_SLUGS[f]}.{LAST_SLUGS[la]}{number}@{domains[c]}")
    return emails


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


def generate_chunk(
    p: DemoParameters,
    timeline: Timeline,
    plan: CampaignPlan,
    *,
    seed: int,
    index: int,
    size: int,
    contact_offset: int,
    company_offset: int,
) -> Chunk:
    rng = np.random.default_rng([seed, 1, index])
    hourly = np.array(p.hourly_weights) / sum(p.hourly_weights)
    company_count = max(1, round(size / p.contacts_per_company))
    companies = _companies(rng, p, timeline, company_count, company_offset)

    channel = rng.choice(len(p.channels), size, p=[c.lead_share for c in p.channels])
    created = timeline.sample_times(rng, size, hourly)
    contact_weight = np.array([s.contact_weight for s in p.segments])[companies.segment]
    company = rng.choice(company_count, size, p=contact_weight / contact_weight.sum())
    company[rng.random(size) < p.free_mail_share] = -1
    has_company = company >= 0
    first = rng.integers(0, len(FIRST_NAMES), size)
    last = rng.integers(0, len(LAST_NAMES), size)
    department = rng.choice(len(DEPARTMENTS), size, p=[w for _, w, _ in DEPARTMENTS])
    seniority = rng.choice(len(SENIORITIES), size, p=[w for _, w in SENIORITIES])
    own_country = rng.choice(len(COUNTRIES), size, p=[w for _, w, _ in COUNTRIES])
    country_code = {code: i for i, (code, _, _) in enumerate(COUNTRIES)}
    company_country = np.array([country_code[c] for c in companies.country])
    country = np.where(has_company, company_country[company], own_country)
    has_phone = rng.random(size) < 0.7
    digits = rng.integers(200_000_000, 999_999_999, size)
    emails = _emails(
        rng,
        first=first,
        last=last,
        company=company,
        domains=companies.domain,
        global_offset=contact_offset,
    )

    weights = np.array([r.routing_weight for r in p.reps])
    rep = np.where(
        has_company,
        companies.rep[company],
        rng.choice(len(p.reps), size, p=weights / weights.sum()),
    )
    segment = np.where(has_company, companies.segment[company], 0)
    variant = pick(rng, plan.variant_cdf, channel)
    campaign = plan.lookup[channel, timeline.quarter_of(created), variant]

    funnel = sample_funnel(
        rng, p, channel=channel, created=created, rep=rep, segment=segment, now=timeline.now
    )
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

    companies.owned[company[funnel.r_mql & has_company]] = True
    np.minimum.at(companies.created, company[has_company], created[has_company])
    leads = np.zeros((len(plan.specs), timeline.weeks), dtype=np.int64)
    with_campaign = campaign >= 0
    np.add.at(leads, (campaign[with_campaign], timeline.week_of(created[with_campaign])), 1)

    dial = [code for _, _, code in COUNTRIES]
    contacts = ContactBlock(
        email=emails,
        first_name=[FIRST_NAMES[i] for i in first.tolist()],
        last_name=[LAST_NAMES[i] for i in last.tolist()],
        title=TITLES[seniority, department].tolist(),
        seniority=[SENIORITIES[i][0] for i in seniority.tolist()],
        department=[DEPARTMENTS[i][0] for i in department.tolist()],
        phone=[
            f"+{dial[c]} {d // 1_000_000} {d // 1_000 % 1_000:03d} {d % 1_000:03d}" if h else ""
            for c, d, h in zip(country.tolist(), digits.tolist(), has_phone.tolist(), strict=True)
        ],
        company=company,
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
        companies=companies,
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
