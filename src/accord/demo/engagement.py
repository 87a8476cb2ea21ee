"""Marketing touchpoints (journeys) and sales activities of a chunk of contacts.

Touchpoints: every contact has 1 + Poisson(k) of them. The first is the source touch, on its
channel's campaign at the moment it was created; later touches come from the known channel mix,
a share of them before the MQL date (the engagement that made it an MQL). Activities: the
owner's call and email attempts after the MQL, the first one after the owner's follow-up delay,
a note on the accept/reject decision, a discovery meeting for SQLs, meetings along the deal's
pipeline stages and a note when it closes. No Django import here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accord.demo.funnel import DAY, DealBlock, Funnel, cdf_table, pick
from accord.demo.parameters import (
    REJECTION_REASONS,
    UNRESPONSIVE_REASON,
    WRONG_DATA_REASON,
    DemoParameters,
)
from accord.demo.timeline import CampaignPlan, Timeline
from accord.demo.vocabulary import (
    AD_CONTENT,
    EMAIL_SUBJECTS,
    FIRST_CALL_SUBJECTS,
    LANDING_PAGES,
    REFERRERS,
    SEARCH_TERMS,
)

SITE = "https://www.northwind.example"
TOUCH_TYPES: tuple[str, ...] = (
    "ad_click",
    "form_fill",
    "webinar",
    "email_open",
    "email_click",
    "event",
    "web_visit",
    "content_download",
)
# Types of later (non-source) touches per channel: {type: weight}
LATER_TOUCH_TYPES: dict[str, dict[str, float]] = {
    "paid_search": {"ad_click": 1.0},
    "paid_social": {"ad_click": 1.0},
    "organic_search": {"web_visit": 0.8, "form_fill": 0.2},
    "email": {"email_open": 0.6, "email_click": 0.4},
    "webinar": {"webinar": 1.0},
    "event": {"event": 1.0},
    "content": {"content_download": 1.0},
    "referral": {"web_visit": 0.8, "form_fill": 0.2},
    "direct": {"web_visit": 0.8, "form_fill": 0.2},
    "partner": {"web_visit": 0.8, "form_fill": 0.2},
}
NO_UTM_CHANNELS = frozenset({"organic_search", "direct"})
LATER_TOUCH_MEAN_DAYS = 25.0


@dataclass
class TouchpointBlock:
    contact: np.ndarray
    campaign: np.ndarray  # campaign index, -1 for none
    channel: np.ndarray
    type: list[str]
    at: np.ndarray
    utm_source: list[str]
    utm_medium: list[str]
    utm_campaign: list[str]
    utm_content: list[str]
    utm_term: list[str]
    landing_page: list[str]
    referrer: list[str]
    first: np.ndarray  # position of each contact's source touch


def sample_touchpoints(
    rng: np.random.Generator,
    p: DemoParameters,
    *,
    timeline: Timeline,
    plan: CampaignPlan,
    channel: np.ndarray,
    source_campaign: np.ndarray,
    created: np.ndarray,
    f: Funnel,
) -> TouchpointBlock:
    n = len(channel)
    keys = [c.channel for c in p.channels]
    counts = 1 + rng.poisson(p.extra_touchpoints_mean, n)
    contact = np.repeat(np.arange(n), counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    later = np.ones(len(contact), dtype=bool)
    later[first] = False
    lc = contact[later]
    e = len(lc)

    # Later touches: channel from the mix; time before the MQL or after creation (to now).
    mix = p.later_touch_channel_mix
    later_channel = np.array([keys.index(k) for k, _ in mix])[
        pick(rng, cdf_table([[w for _, w in mix]]), np.zeros(e, dtype=np.int64))
    ]
    base = created[lc]
    before_mql = f.r_mql[lc] & (rng.random(e) < p.touches_before_mql_share)
    span = np.where(before_mql, f.t_mql[lc] - base, 0.0)
    t = np.where(
        before_mql,
        base + rng.random(e) * span,
        base + rng.exponential(LATER_TOUCH_MEAN_DAYS * DAY, e),
    )
    late = t > timeline.now
    t[late] = base[late] + rng.random(int(late.sum())) * (timeline.now - base[late])

    quarter = timeline.quarter_of(t)
    variant = pick(rng, plan.variant_cdf, later_channel)
    later_campaign = plan.lookup[later_channel, quarter, variant]
    type_cdf = cdf_table(
        [[LATER_TOUCH_TYPES[k].get(name, 0.0) for name in TOUCH_TYPES] for k in keys]
    )
    later_type = pick(rng, type_cdf, later_channel)

    ch = np.empty(len(contact), dtype=np.int64)
    ch[first], ch[later] = channel, later_channel
    at = np.empty(len(contact))
    at[first], at[later] = created, t
    campaign = np.empty(len(contact), dtype=np.int64)
    campaign[first], campaign[later] = source_campaign, later_campaign
    first_type = np.array([TOUCH_TYPES.index(c.first_touch_type) for c in p.channels])
    type_code = np.empty(len(contact), dtype=np.int64)
    type_code[first], type_code[later] = first_type[channel], later_type

    total = len(contact)
    specs = plan.specs
    spec_source = np.array([s.utm_source for s in specs] + [""], dtype=object)
    spec_medium = np.array([s.utm_medium for s in specs] + [""], dtype=object)
    spec_campaign = np.array([s.utm_campaign for s in specs] + [""], dtype=object)
    no_utm = np.isin(ch, [keys.index(k) for k in NO_UTM_CHANNELS if k in keys])
    utm_index = np.where((campaign < 0) | no_utm, len(specs), campaign)
    paid = np.isin(ch, [keys.index(k) for k in ("paid_search", "paid_social") if k in keys])
    content = np.array(("", *AD_CONTENT), dtype=object)[
        np.where(paid, 1 + rng.integers(0, len(AD_CONTENT), total), 0)
    ]
    search = ch == (keys.index("paid_search") if "paid_search" in keys else -1)
    term = np.array(("", *SEARCH_TERMS), dtype=object)[
        np.where(search, 1 + rng.integers(0, len(SEARCH_TERMS), total), 0)
    ]
    pages = [LANDING_PAGES.get(k, ("/",)) for k in keys]
    flat_pages = np.array([f"{SITE}{page}" for group in pages for page in group], dtype=object)
    offsets = np.concatenate([[0], np.cumsum([len(g) for g in pages])[:-1]])
    lengths = np.array([len(g) for g in pages])
    page = flat_pages[offsets[ch] + (rng.random(total) * lengths[ch]).astype(np.int64)]
    referrer = np.array([REFERRERS.get(k, "") for k in keys], dtype=object)[ch]
    return TouchpointBlock(
        contact=contact,
        campaign=campaign,
        channel=ch,
        type=np.array(TOUCH_TYPES, dtype=object)[type_code].tolist(),
        at=at,
        utm_source=spec_source[utm_index].tolist(),
        utm_medium=spec_medium[utm_index].tolist(),
        utm_campaign=spec_campaign[utm_index].tolist(),
        utm_content=content.tolist(),
        utm_term=term.tolist(),
        landing_page=page.tolist(),
        referrer=referrer.tolist(),
        first=first,
    )


@dataclass
class ActivityBlock:
    contact: np.ndarray
    deal: np.ndarray  # chunk-local deal index, -1 for none
    user: np.ndarray  # rep index
    kind: list[str]
    direction: list[str]
    outcome: list[str]
    subject: list[str]
    body: list[str]
    at: np.ndarray


MAX_ATTEMPTS = 5
DEAL_MEETINGS = {2: "Product demo", 3: "Proposal review", 4: "Commercial terms call"}


def sample_activities(
    rng: np.random.Generator,
    p: DemoParameters,
    *,
    channel: np.ndarray,
    rep: np.ndarray,
    f: Funnel,
    deals: DealBlock,
    now: float,
) -> ActivityBlock:
    keys = [c.channel for c in p.channels]
    rows: dict[str, list[np.ndarray]] = {
        k: [] for k in ("contact", "deal", "kind", "direction", "outcome", "subject", "body", "at")
    }

    def add(
        contact: np.ndarray,
        at: np.ndarray,
        *,
        kind: object,
        outcome: object,
        subject: object,
        body: object = "",
        deal: np.ndarray | None = None,
        direction: str = "outbound",
    ) -> None:
        m = len(contact)
        rows["contact"].append(contact)
        rows["deal"].append(np.full(m, -1) if deal is None else deal)
        rows["at"].append(at)
        for key, value in (
            ("kind", kind),
            ("outcome", outcome),
            ("subject", subject),
            ("body", body),
            ("direction", direction),
        ):
            rows[key].append(
                value if isinstance(value, np.ndarray) else np.full(m, value, dtype=object)
            )

    # Call and email attempts between the first touch and the decision.
    mql = np.nonzero(f.r_mql)[0]
    m = len(mql)
    attempts = 1 + np.minimum(rng.poisson(1.3, m), MAX_ATTEMPTS - 1)
    unresponsive = ~f.accepted[mql] & (f.reason[mql] == UNRESPONSIVE_REASON)
    attempts = np.where(unresponsive, 3 + (rng.random(m) < 0.3), attempts)
    t_first, t_decision = f.t_first[mql], f.t_decision[mql]
    jitter = rng.uniform(0.85, 1.0, (m, MAX_ATTEMPTS))
    is_call = rng.random((m, MAX_ATTEMPTS)) < 0.6
    voicemail = rng.random((m, MAX_ATTEMPTS)) < 0.45
    subjects = np.array([EMAIL_SUBJECTS.get(k, "Following up") for k in keys], dtype=object)
    for j in range(MAX_ATTEMPTS):
        fraction = j / attempts * jitter[:, j]
        at = t_first + fraction * (t_decision - t_first)
        keep = (j < attempts) & (at <= now)
        last = j == attempts - 1
        call = is_call[:, j]
        outcome = np.where(call, np.where(voicemail[:, j], "left_voicemail", "no_answer"), "sent")
        talked = last & (f.accepted[mql] | ~unresponsive)
        outcome = np.where(talked, np.where(call, "connected", "replied"), outcome)
        wrong = last & ~f.accepted[mql] & (f.reason[mql] == WRONG_DATA_REASON)
        outcome = np.where(wrong, np.where(call, "wrong_number", "bounced"), outcome)
        email_subject = subjects[channel[mql]] if j == 0 else "Re: " + subjects[channel[mql]]
        subject = np.where(call, FIRST_CALL_SUBJECTS[min(j, 2)], email_subject)
        idx = np.nonzero(keep)[0]
        add(
            mql[idx],
            at[idx],
            kind=np.where(call, "call", "email")[idx].astype(object),
            outcome=outcome[idx].astype(object),
            subject=subject[idx].astype(object),
        )

    # The decision note, the discovery meeting.
    decided = np.nonzero(f.r_decision)[0]
    reason_text = np.array([f"Rejected: {text}" for text, _ in REJECTION_REASONS], dtype=object)
    note = np.where(
        f.accepted[decided], "Accepted: booking discovery", reason_text[f.reason[decided]]
    )
    add(
        decided,
        f.t_decision[decided],
        kind="note",
        outcome="",
        subject=note.astype(object),
        body="Handoff decision logged.",
        direction="",
    )
    sql = np.nonzero(f.r_sql)[0]
    add(
        sql, f.t_sql[sql], kind="meeting", outcome="held", subject="Discovery meeting", direction=""
    )

    # Deal meetings along the pipeline, and the close note.
    deal_index = np.arange(len(deals.contact))
    for stage, title in DEAL_MEETINGS.items():
        entered = ~np.isnan(deals.entries[:, stage])
        add(
            deals.contact[entered],
            deals.entries[entered, stage],
            kind="meeting",
            outcome="held",
            subject=title,
            deal=deal_index[entered],
            direction="",
        )
    closed = ~np.isnan(deals.closed)
    reasons = np.array(deals.close_reason, dtype=object)[closed]
    statuses = np.array(deals.status, dtype=object)[closed]
    add(
        deals.contact[closed],
        deals.closed[closed],
        kind="note",
        outcome="",
        subject=np.array(
            [f"Closed {s}: {r}" for s, r in zip(statuses, reasons, strict=True)], dtype=object
        ),
        deal=deal_index[closed],
        direction="",
    )

    contact = np.concatenate(rows["contact"])
    return ActivityBlock(
        contact=contact,
        deal=np.concatenate(rows["deal"]),
        user=rep[contact],
        kind=np.concatenate(rows["kind"]).tolist(),
        direction=np.concatenate(rows["direction"]).tolist(),
        outcome=np.concatenate(rows["outcome"]).tolist(),
        subject=np.concatenate(rows["subject"]).tolist(),
        body=np.concatenate(rows["body"]).tolist(),
        at=np.concatenate(rows["at"]),
    )
