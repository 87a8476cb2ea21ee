"""Who exists and when: every company, and every contact's creation time, company and name,
drawn once for the whole dataset from the stream ``[seed, 3]``. No Django import here.

Contacts are numbered in creation order, so chunk k of the generator holds the contacts of one
stretch of time. Rows then reach the database roughly in time order, and each chunk touches only
the recent end of the time indexes instead of all of them (the difference between minutes and
the best part of an hour for a million contacts on SQLite).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from accord.demo.parameters import DemoParameters
from accord.demo.timeline import DAY, Timeline
from accord.demo.vocabulary import (
    COMPANY_FIRST,
    COMPANY_SECOND,
    COUNTRIES,
    DOMAIN_PATTERNS,
    FIRST_NAMES,
    INDUSTRIES,
    LAST_NAMES,
)

DOMAIN_SPACE = len(COMPANY_FIRST) * len(COMPANY_SECOND) * len(DOMAIN_PATTERNS)
DOMAIN_STEP = next(s for s in range(104_729, 10**7, 2) if math.gcd(s, DOMAIN_SPACE) == 1)


@dataclass
class Population:
    # contacts, in creation order
    created: np.ndarray
    company: np.ndarray  # company index, -1 for a personal address and no company
    first: np.ndarray  # index into FIRST_NAMES
    last: np.ndarray  # index into LAST_NAMES
    email_rank: np.ndarray  # how many earlier contacts of the company share the name
    # companies
    segment: np.ndarray
    employees: np.ndarray
    industry: np.ndarray
    suffix: np.ndarray  # which industry suffix, -1 for none
    country: np.ndarray  # index into COUNTRIES
    rep: np.ndarray  # account owner (rep index)
    company_created: np.ndarray

    @property
    def companies(self) -> int:
        return len(self.segment)


def _word_indices(indices: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A bijection from company index onto (first word, second word, domain pattern), with a
    lap number once the space is used up."""
    position = (indices % DOMAIN_SPACE * DOMAIN_STEP + 7) % DOMAIN_SPACE
    pattern = position % len(DOMAIN_PATTERNS)
    rest = position // len(DOMAIN_PATTERNS)
    return rest // len(COMPANY_SECOND), rest % len(COMPANY_SECOND), pattern, indices // DOMAIN_SPACE


def company_domains(indices: np.ndarray) -> list[str]:
    """A distinct web domain per company index."""
    first, second, pattern, lap = _word_indices(np.asarray(indices, dtype=np.int64))
    columns = (first.tolist(), second.tolist(), pattern.tolist(), lap.tolist())
    return [
        DOMAIN_PATTERNS[p].format(
            f"{COMPANY_FIRST[a]}{COMPANY_SECOND[b]}".lower() + (str(k + 1) if k else "")
        )
        for a, b, p, k in zip(*columns, strict=True)
    ]


def company_names(population: Population, indices: np.ndarray) -> list[str]:
    """'<first> <second> <industry suffix>', e.g. 'Blue Harbor Logistics'."""
    indices = np.asarray(indices, dtype=np.int64)
    first, second, _, _ = _word_indices(indices)
    columns = (
        first.tolist(),
        second.tolist(),
        population.industry[indices].tolist(),
        population.suffix[indices].tolist(),
    )
    return [
        f"{COMPANY_FIRST[a]} {COMPANY_SECOND[b]}" + (f" {INDUSTRIES[i][2][s]}" if s >= 0 else "")
        for a, b, i, s in zip(*columns, strict=True)
    ]


def _creation_times(
    rng: np.random.Generator, timeline: Timeline, hourly: np.ndarray, count: int
) -> np.ndarray:
    """`count` creation times in order: contacts per day by the seasonal weights, then an hour
    of the day by the office-hours profile."""
    per_day = rng.multinomial(count, timeline.day_weights)
    day = np.repeat(np.arange(timeline.days), per_day)
    hour = rng.choice(24, count, p=hourly)
    seconds = day * DAY + hour * 3600.0 + rng.random(count) * 3600.0
    late = seconds > timeline.now  # later today than the present: earlier today instead
    today = (timeline.days - 1) * DAY
    seconds[late] = today + rng.random(int(late.sum())) * (timeline.now - today)
    return np.sort(seconds)


def _email_rank(company: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    n = len(company)
    key = (company * len(FIRST_NAMES) + first) * len(LAST_NAMES) + last
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - group_start
    return rank


def draw_population(
    p: DemoParameters, timeline: Timeline, *, seed: int, contacts: int
) -> Population:
    rng = np.random.default_rng([seed, 3])
    hourly = np.array(p.hourly_weights) / sum(p.hourly_weights)
    count = max(1, round(contacts / p.contacts_per_company))
    segment = rng.choice(len(p.segments), count, p=[s.share for s in p.segments])
    low = np.log([s.min_employees for s in p.segments])[segment]
    high = np.log([s.max_employees + 1 for s in p.segments])[segment]
    employees = np.floor(np.exp(low + rng.random(count) * (high - low))).astype(np.int64)
    industry = rng.choice(len(INDUSTRIES), count, p=[w for _, w, _ in INDUSTRIES])
    suffix_count = np.array([len(s) for _, _, s in INDUSTRIES])[industry]
    suffix = (rng.random(count) * suffix_count).astype(np.int64)
    suffix[rng.random(count) >= 0.7] = -1
    country = rng.choice(len(COUNTRIES), count, p=[w for _, w, _ in COUNTRIES])
    weights = np.array([r.routing_weight for r in p.reps])
    rep = rng.choice(len(p.reps), count, p=weights / weights.sum())
    unworked_created = timeline.sample_times(rng, count, hourly)

    created = _creation_times(rng, timeline, hourly, contacts)
    contact_weight = np.array([s.contact_weight for s in p.segments])[segment]
    company = rng.choice(count, contacts, p=contact_weight / contact_weight.sum())
    company[rng.random(contacts) < p.free_mail_share] = -1
    first = rng.integers(0, len(FIRST_NAMES), contacts)
    last = rng.integers(0, len(LAST_NAMES), contacts)
    has = company >= 0
    # A company is created with its first contact; one without contacts at a random time.
    company_created = np.full(count, np.inf)
    np.minimum.at(company_created, company[has], created[has])
    company_created = np.where(np.isinf(company_created), unworked_created, company_created)
    return Population(
        created=created,
        company=company,
        first=first,
        last=last,
        email_rank=_email_rank(company, first, last),
        segment=segment,
        employees=employees,
        industry=industry,
        suffix=suffix,
        country=country,
        rep=rep,
        company_created=company_created,
    )
