"""Each contact's path through the funnel, its ledger rows, and the deals of opportunities.

Every draw is made for the whole chunk in a fixed order, so a (seed, chunk) pair always gives
the same data. A contact's fate is drawn first (will it become an MQL, be accepted, …) and
then dated; whatever is dated after `now` has not happened yet and is left out, so every path
is truncated at the present. No Django import here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accord.demo.parameters import REJECTION_REASONS, DemoParameters
from accord.demo.vocabulary import (
    LOST_REASONS,
    PLANS,
    SAL_RECYCLE_REASONS,
    SQL_RECYCLE_REASONS,
    WON_REASONS,
)

DAY = 86_400.0
STAGES: tuple[str, ...] = (
    "",
    "subscriber",
    "lead",
    "mql",
    "sal",
    "sql",
    "opportunity",
    "customer",
    "recycled",
    "disqualified",
)
NONE, SUBSCRIBER, LEAD, MQL, SAL, SQL, OPPORTUNITY, CUSTOMER, RECYCLED, DISQUALIFIED = range(10)
# Keys of the default pipeline (crm.services.provisioning); the loader checks they match.
PIPELINE_KEYS: tuple[str, ...] = (
    "qualification",
    "discovery",
    "demo",
    "proposal",
    "negotiation",
    "closed_won",
    "closed_lost",
)
CLOSED_WON, CLOSED_LOST = 5, 6
OPEN_STAGES = 5


def lognormal(rng: np.random.Generator, mu: float, sigma: float, n: int) -> np.ndarray:
    return np.exp(mu + sigma * rng.standard_normal(n))


def pick(rng: np.random.Generator, cdf: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One categorical draw per item, from row `rows[i]` of a cumulative-probability table."""
    u = rng.random(len(rows))
    return (u[:, None] > cdf[rows]).sum(axis=1)


def cdf_table(rows: list[list[float]] | list[tuple[float, ...]]) -> np.ndarray:
    table = np.cumsum(np.array(rows, dtype=np.float64), axis=1)
    table /= table[:, -1:]
    table[:, -1] = 1.0
    return table


@dataclass
class Funnel:
    """Per-contact times (seconds since the timeline origin) and outcomes."""

    subscriber: np.ndarray
    t_lead: np.ndarray
    t_mql: np.ndarray
    t_first: np.ndarray  # the owner's first call or email
    t_decision: np.ndarray  # accepted (SAL) or rejected
    t_sql: np.ndarray
    t_sal_recycled: np.ndarray
    t_opp: np.ndarray
    t_sql_recycled: np.ndarray
    t_close: np.ndarray
    accepted: np.ndarray
    won: np.ndarray
    reason: np.ndarray  # rejection reason index
    sal_reason: np.ndarray
    sql_reason: np.ndarray
    # reached by now
    r_lead: np.ndarray
    r_mql: np.ndarray
    r_first: np.ndarray
    r_decision: np.ndarray
    r_sal: np.ndarray
    r_rejected: np.ndarray
    r_sql: np.ndarray
    r_sal_recycled: np.ndarray
    r_opp: np.ndarray
    r_sql_recycled: np.ndarray
    r_won: np.ndarray
    r_lost: np.ndarray


def sample_funnel(
    rng: np.random.Generator,
    p: DemoParameters,
    *,
    channel: np.ndarray,
    created: np.ndarray,
    rep: np.ndarray,
    segment: np.ndarray,
    now: float,
    sql_factor: np.ndarray | None = None,
) -> Funnel:
    """`sql_factor`: per contact, a multiplier of its SAL -> SQL rate (a planted experiment)."""
    n = len(channel)
    ch = p.channels
    d = p.delays

    def rate(attr: str) -> np.ndarray:
        return np.array([getattr(c, attr) for c in ch])[channel]

    def delay(name: str) -> np.ndarray:
        spec = getattr(d, name)
        return np.minimum(lognormal(rng, spec.mu, spec.sigma, n), spec.max_days) * DAY

    subscriber = rng.random(n) < rate("subscriber_share")
    t_lead = created + np.where(subscriber, delay("subscriber_to_lead"), 0.0)
    will_mql = rng.random(n) < rate("lead_to_mql")
    t_mql = t_lead + delay("lead_to_mql")
    medians = np.array([r.median_first_touch_hours for r in p.reps])[rep]
    hours = np.minimum(
        lognormal(rng, 0.0, p.first_touch_sigma, n) * medians, p.first_touch_max_hours
    )
    t_first = t_mql + hours * 3600.0
    accepted = rng.random(n) < rate("mql_to_sal")
    t_decision = t_first + delay("decision")
    reason = pick(rng, cdf_table([c.rejection_mix for c in ch]), channel)
    will_sql = rng.random(n) < rate("sal_to_sql") * (1.0 if sql_factor is None else sql_factor)
    t_sql = t_decision + delay("sal_to_sql")
    t_sal_recycled = t_decision + delay("sal_to_recycled")
    sal_reason = rng.integers(0, len(SAL_RECYCLE_REASONS), n)
    will_opp = rng.random(n) < rate("sql_to_opportunity")
    t_opp = t_sql + delay("sql_to_opportunity")
    t_sql_recycled = t_sql + delay("sql_to_recycled")
    sql_reason = rng.integers(0, len(SQL_RECYCLE_REASONS), n)
    won = rng.random(n) < rate("opportunity_to_won")
    cycle_multiplier = np.array([s.cycle_multiplier for s in p.segments])[segment]
    sc = d.sales_cycle
    cycle = np.clip(lognormal(rng, sc.mu, sc.sigma, n) * cycle_multiplier, 3.0, sc.max_days)
    t_close = t_opp + cycle * DAY

    r_mql = will_mql & (t_mql <= now)
    r_decision = r_mql & (t_decision <= now)
    r_sal = r_decision & accepted
    r_sql = r_sal & will_sql & (t_sql <= now)
    r_opp = r_sql & will_opp & (t_opp <= now)
    r_close = r_opp & (t_close <= now)
    return Funnel(
        subscriber=subscriber,
        t_lead=t_lead,
        t_mql=t_mql,
        t_first=t_first,
        t_decision=t_decision,
        t_sql=t_sql,
        t_sal_recycled=t_sal_recycled,
        t_opp=t_opp,
        t_sql_recycled=t_sql_recycled,
        t_close=t_close,
        accepted=accepted,
        won=won,
        reason=reason,
        sal_reason=sal_reason,
        sql_reason=sql_reason,
        r_lead=t_lead <= now,
        r_mql=r_mql,
        r_first=r_mql & (t_first <= now),
        r_decision=r_decision,
        r_sal=r_sal,
        r_rejected=r_decision & ~accepted,
        r_sql=r_sql,
        r_sal_recycled=r_sal & ~will_sql & (t_sal_recycled <= now),
        r_opp=r_opp,
        r_sql_recycled=r_sql & ~will_opp & (t_sql_recycled <= now),
        r_won=r_close & won,
        r_lost=r_close & ~won,
    )


@dataclass
class DealBlock:
    contact: np.ndarray  # chunk-local contact index of the primary contact
    amount: np.ndarray  # USD, rounded to 10
    plan: list[str]
    entries: np.ndarray  # [deal, open stage] entry time, nan if not entered by now
    last_open: np.ndarray  # index of the last open stage the deal will reach
    stage: np.ndarray  # current pipeline stage index
    status: list[str]  # open / won / lost
    created: np.ndarray
    updated: np.ndarray
    closed: np.ndarray  # close time, nan while open
    expected_close: np.ndarray  # seconds (a date is derived)
    close_reason: list[str]
    lost_reason: np.ndarray  # index into LOST_REASONS (used for lost deals only)


def sample_deals(
    rng: np.random.Generator,
    p: DemoParameters,
    f: Funnel,
    *,
    channel: np.ndarray,
    segment: np.ndarray,
    now: float,
) -> DealBlock:
    contact = np.nonzero(f.r_opp)[0]
    m = len(contact)
    mean = (
        np.array([c.mean_deal_amount for c in p.channels])[channel[contact]]
        * np.array([s.deal_amount_multiplier for s in p.segments])[segment[contact]]
    )
    sigma = p.deal_amount_sigma
    amount = np.round(lognormal(rng, 0.0, sigma, m) * mean * np.exp(-(sigma**2) / 2), -1)
    amount = np.maximum(amount, 500.0)
    lost_stage = pick(rng, cdf_table([p.lost_at_stage_mix]), np.zeros(m, dtype=np.int64))
    won = f.won[contact]
    last_open = np.where(won, OPEN_STAGES - 1, lost_stage)
    gaps = rng.dirichlet(np.array([2.0, 2.0, 2.0, 2.0, 1.5]), size=m)
    t_opp, t_close = f.t_opp[contact], f.t_close[contact]
    fractions = np.concatenate([np.zeros((m, 1)), np.cumsum(gaps[:, :4], axis=1)], axis=1)
    entries = t_opp[:, None] + fractions * (t_close - t_opp)[:, None]
    reached = (np.arange(OPEN_STAGES)[None, :] <= last_open[:, None]) & (entries <= now)
    entries = np.where(reached, entries, np.nan)
    closed_now = t_close <= now
    current_open = reached.sum(axis=1) - 1
    stage = np.where(closed_now, np.where(won, CLOSED_WON, CLOSED_LOST), current_open)
    won_reason = rng.integers(0, len(WON_REASONS), m)
    lost_reason = rng.integers(0, len(LOST_REASONS), m)
    slip = rng.normal(0.0, 5.0, m) * DAY
    status = np.where(closed_now, np.where(won, "won", "lost"), "open")
    close_reason = np.where(
        closed_now,
        np.where(won, np.array(WON_REASONS)[won_reason], np.array(LOST_REASONS)[lost_reason]),
        "",
    )
    thresholds = np.array([limit for limit, _ in PLANS])
    plans = np.array([label for _, label in PLANS])[np.searchsorted(thresholds, amount)]
    updated = np.where(closed_now, t_close, np.nanmax(entries, axis=1))
    return DealBlock(
        contact=contact,
        amount=amount,
        plan=plans.tolist(),
        entries=entries,
        last_open=last_open,
        stage=stage,
        status=status.tolist(),
        created=t_opp,
        updated=updated,
        closed=np.where(closed_now, t_close, np.nan),
        expected_close=np.where(closed_now, t_close, np.maximum(t_close + slip, now)),
        close_reason=close_reason.tolist(),
        lost_reason=lost_reason,
    )


@dataclass
class LedgerBlock:
    contact: np.ndarray
    from_stage: np.ndarray
    to_stage: np.ndarray
    at: np.ndarray
    actor: np.ndarray  # rep index, -1 for the system
    reason: list[str]


def build_ledger(
    f: Funnel, rep: np.ndarray, created: np.ndarray, deals: DealBlock
) -> tuple[LedgerBlock, np.ndarray, np.ndarray]:
    """Ledger rows in path order, and each contact's final stage and last-change time."""
    n = len(created)
    reject_to = np.array(
        [RECYCLED if to == "recycled" else DISQUALIFIED for _, to in REJECTION_REASONS]
    )
    lost_text = np.full(n, "", dtype=object)
    lost_text[deals.contact] = np.array(
        [f"Deal lost: {LOST_REASONS[i]}" for i in deals.lost_reason], dtype=object
    )
    everyone = np.ones(n, dtype=bool)
    reasons = np.array([text for text, _ in REJECTION_REASONS], dtype=object)
    # (reached, from, to, time, by the rep, reason per contact or constant)
    steps: list[tuple[np.ndarray, np.ndarray | int, np.ndarray | int, np.ndarray, bool, object]] = [
        (everyone, NONE, np.where(f.subscriber, SUBSCRIBER, LEAD), created, False, "created"),
        (f.subscriber & f.r_lead, SUBSCRIBER, LEAD, f.t_lead, False, ""),
        (f.r_mql, LEAD, MQL, f.t_mql, False, "lead score reached the MQL threshold"),
        (f.r_sal, MQL, SAL, f.t_decision, True, "accepted"),
        (f.r_rejected, MQL, reject_to[f.reason], f.t_decision, True, reasons[f.reason]),
        (f.r_sql, SAL, SQL, f.t_sql, True, "qualified in discovery"),
        (
            f.r_sal_recycled,
            SAL,
            RECYCLED,
            f.t_sal_recycled,
            True,
            np.array(SAL_RECYCLE_REASONS, dtype=object)[f.sal_reason],
        ),
        (f.r_opp, SQL, OPPORTUNITY, f.t_opp, True, "opportunity created"),
        (
            f.r_sql_recycled,
            SQL,
            RECYCLED,
            f.t_sql_recycled,
            True,
            np.array(SQL_RECYCLE_REASONS, dtype=object)[f.sql_reason],
        ),
        (f.r_won, OPPORTUNITY, CUSTOMER, f.t_close, True, "deal won"),
        (f.r_lost, OPPORTUNITY, RECYCLED, f.t_close, True, lost_text),
    ]
    final = np.full(n, NONE, dtype=np.int64)
    updated = created.copy()
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("c", "f", "t", "at", "a", "r")}
    for reached, from_, to, at, by_rep, reason in steps:
        idx = np.nonzero(reached)[0]
        to_all = np.broadcast_to(np.asarray(to), (n,))
        final[idx] = to_all[idx]
        updated[idx] = at[idx]
        parts["c"].append(idx)
        parts["f"].append(np.broadcast_to(np.asarray(from_), (n,))[idx])
        parts["t"].append(to_all[idx])
        parts["at"].append(at[idx])
        parts["a"].append(rep[idx] if by_rep else np.full(len(idx), -1))
        parts["r"].append(
            reason[idx]
            if isinstance(reason, np.ndarray)
            else np.full(len(idx), reason, dtype=object)
        )
    contact = np.concatenate(parts["c"])
    at = np.concatenate(parts["at"])
    order = np.lexsort((at, contact))
    block = LedgerBlock(
        contact=contact[order],
        from_stage=np.concatenate(parts["f"])[order],
        to_stage=np.concatenate(parts["t"])[order],
        at=at[order],
        actor=np.concatenate(parts["a"])[order],
        reason=np.concatenate(parts["r"])[order].tolist(),
    )
    return block, final, updated


def deal_stage_changes(
    deals: DealBlock,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(deal, from stage or -1, to stage, time) for every stage a deal entered by now."""
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for stage in range(OPEN_STAGES):
        idx = np.nonzero(~np.isnan(deals.entries[:, stage]))[0]
        parts.append(
            (idx, np.full(len(idx), stage - 1), np.full(len(idx), stage), deals.entries[idx, stage])
        )
    idx = np.nonzero(~np.isnan(deals.closed))[0]
    parts.append((idx, deals.last_open[idx], deals.stage[idx], deals.closed[idx]))
    deal, from_, to, at = (np.concatenate(column) for column in zip(*parts, strict=True))
    order = np.lexsort((at, deal))
    return deal[order], from_[order], to[order], at[order]
