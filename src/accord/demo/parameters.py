"""The true parameters a demo dataset is drawn from.

Everything the generator samples comes from one `DemoParameters` value. It is stored with the
dataset (``DemoDataset.parameters``) and written to ``<ACCORD_DATA_DIR>/demo-parameters.json``,
so a report computed from the generated records can be checked against the truth: the funnel
rates per channel, the reps' follow-up speeds, the deal sizes and cycle times.

Delays are lognormal with the stated *mean* (before the cap) and log-space ``sigma``; every
delay is capped at ``max_days`` so that a cohort older than the cap has fully resolved, which is
what makes the rates exactly testable. No Django import here.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

# Order of the rejection reasons; `ChannelParameters.rejection_mix` is aligned with it.
REJECTION_REASONS: tuple[tuple[str, str], ...] = (
    ("Bad fit: company too small", "disqualified"),
    ("No budget", "recycled"),
    ("Student / job seeker", "disqualified"),
    ("Competitor", "disqualified"),
    ("Wrong contact data", "disqualified"),
    ("Unresponsive after 3 attempts", "recycled"),
)
UNRESPONSIVE_REASON = 5
WRONG_DATA_REASON = 4


@dataclass(frozen=True)
class CampaignVariant:
    """One campaign a channel runs every quarter (e.g. paid search: brand keywords)."""

    name: str
    type: str
    utm_source: str
    utm_medium: str
    weight: float


@dataclass(frozen=True)
class ChannelParameters:
    channel: str
    lead_share: float  # share of new contacts from this channel
    cost_per_lead: float  # USD spent per new contact; CampaignCost rows sum to leads x CPL
    subscriber_share: float  # share of its contacts that start as subscribers, not leads
    lead_to_mql: float
    mql_to_sal: float  # accepted by sales; the rest are rejected with a reason
    sal_to_sql: float
    sql_to_opportunity: float
    opportunity_to_won: float
    mean_deal_amount: float  # USD, mid-market; segments multiply it
    rejection_mix: tuple[float, ...]  # aligned with REJECTION_REASONS
    first_touch_type: str  # the touchpoint type of the contact's first (source) touch
    campaigns: tuple[CampaignVariant, ...]  # empty: the channel has no campaigns (direct)


@dataclass(frozen=True)
class RepParameters:
    """A member who works MQLs: routed a share of accounts, with a known follow-up speed."""

    email: str
    full_name: str
    role: str  # sales_rep or sdr
    team: str
    median_first_touch_hours: float  # median hours from MQL to the first call or email
    routing_weight: float


@dataclass(frozen=True)
class StaffParameters:
    email: str
    full_name: str
    role: str
    team: str


@dataclass(frozen=True)
class TeamParameters:
    name: str
    kind: str


@dataclass(frozen=True)
class DelayParameters:
    mean_days: float
    sigma: float
    max_days: float

    @property
    def mu(self) -> float:
        """Log-space location giving the stated mean."""
        return math.log(self.mean_days) - self.sigma**2 / 2


@dataclass(frozen=True)
class SegmentParameters:
    key: str
    share: float
    min_employees: int
    max_employees: int
    contact_weight: float  # relative number of contacts per company
    deal_amount_multiplier: float
    cycle_multiplier: float


@dataclass(frozen=True)
class StageDelays:
    subscriber_to_lead: DelayParameters
    lead_to_mql: DelayParameters
    decision: DelayParameters  # first touch -> accepted or rejected
    sal_to_sql: DelayParameters
    sal_to_recycled: DelayParameters
    sql_to_opportunity: DelayParameters
    sql_to_recycled: DelayParameters
    sales_cycle: DelayParameters  # opportunity created -> closed, before the segment multiplier


@dataclass(frozen=True)
class DemoParameters:
    workspace_name: str
    workspace_slug: str
    company_domain: str
    currency: str
    window_days: int
    channels: tuple[ChannelParameters, ...]
    teams: tuple[TeamParameters, ...]
    staff: tuple[StaffParameters, ...]
    reps: tuple[RepParameters, ...]
    monthly_seasonality: tuple[float, ...]  # January .. December, multiplies lead creation
    weekday_weights: tuple[float, ...]  # Monday .. Sunday
    hourly_weights: tuple[float, ...]  # 0 .. 23 UTC
    monthly_growth: float  # lead volume grows by this factor per 30 days
    delays: StageDelays
    first_touch_sigma: float  # log-space spread of a rep's follow-up delay
    first_touch_max_hours: float
    segments: tuple[SegmentParameters, ...]
    deal_amount_sigma: float
    lost_at_stage_mix: tuple[float, ...]  # lost deals: share lost in each open pipeline stage
    contacts_per_company: float
    free_mail_share: float  # contacts with a personal address and no company
    extra_touchpoints_mean: float  # each contact has 1 + Poisson(this) touchpoints
    later_touch_channel_mix: tuple[tuple[str, float], ...]
    touches_before_mql_share: float  # of later touches of an MQL, the share placed before it

    # Serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rejection_reasons"] = [list(r) for r in REJECTION_REASONS]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DemoParameters:
        return _build(cls, data)

    # Lookups ------------------------------------------------------------------------------
    def channel(self, key: str) -> ChannelParameters:
        for channel in self.channels:
            if channel.channel == key:
                return channel
        raise KeyError(key)


def _build[T](cls: type[T], data: Any) -> T:
    """Rebuild a (nested) parameters dataclass from its `asdict` form."""
    nested: dict[str, Any] = {
        "delays": StageDelays,
        "channels": ChannelParameters,
        "teams": TeamParameters,
        "staff": StaffParameters,
        "reps": RepParameters,
        "segments": SegmentParameters,
        "campaigns": CampaignVariant,
        **{f.name: DelayParameters for f in fields(StageDelays)},
    }
    values: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        raw = data[f.name]
        kind = nested.get(f.name)
        if kind is not None and isinstance(raw, list):
            values[f.name] = tuple(_build(kind, item) for item in raw)
        elif kind is not None and isinstance(raw, dict):
            values[f.name] = _build(kind, raw)
        elif isinstance(raw, list):
            values[f.name] = tuple(tuple(x) if isinstance(x, list) else x for x in raw)
        else:
            values[f.name] = raw
    return cls(**values)


def _variant(name: str, type_: str, source: str, medium: str, weight: float) -> CampaignVariant:
    return CampaignVariant(name, type_, source, medium, weight)


# fmt: off
DEFAULT_CHANNELS: tuple[ChannelParameters, ...] = (
    ChannelParameters(
        "paid_search", 0.20, 95.0, 0.0, 0.32, 0.72, 0.55, 0.62, 0.24, 18_000.0,
        (0.30, 0.15, 0.12, 0.15, 0.13, 0.15), "ad_click",
        (_variant("Brand keywords", "ads", "google", "cpc", 0.6),
         _variant("Competitor keywords", "ads", "google", "cpc", 0.25),
         _variant("Bing search", "ads", "bing", "cpc", 0.15)),
    ),
    ChannelParameters(
        "paid_social", 0.16, 70.0, 0.0, 0.20, 0.55, 0.45, 0.55, 0.18, 14_000.0,
        (0.25, 0.15, 0.30, 0.05, 0.10, 0.15), "ad_click",
        (_variant("LinkedIn lead gen", "ads", "linkedin", "paid_social", 0.7),
         _variant("Retargeting", "ads", "facebook", "paid_social", 0.3)),
    ),
    ChannelParameters(
        "organic_search", 0.18, 15.0, 0.15, 0.28, 0.75, 0.55, 0.60, 0.26, 20_000.0,
        (0.30, 0.20, 0.15, 0.08, 0.07, 0.20), "form_fill",
        (_variant("SEO content", "seo", "google", "organic", 1.0),),
    ),
    ChannelParameters(
        "email", 0.08, 12.0, 0.35, 0.30, 0.70, 0.50, 0.60, 0.25, 17_000.0,
        (0.20, 0.25, 0.05, 0.05, 0.15, 0.30), "email_click",
        (_variant("Monthly newsletter", "email", "newsletter", "email", 0.5),
         _variant("Nurture programme", "email", "hubspot", "email", 0.5)),
    ),
    ChannelParameters(
        "webinar", 0.07, 55.0, 0.05, 0.45, 0.78, 0.58, 0.62, 0.27, 24_000.0,
        (0.20, 0.25, 0.15, 0.10, 0.05, 0.25), "webinar",
        (_variant("Analytics masterclass", "webinar", "zoom", "webinar", 1.0),),
    ),
    ChannelParameters(
        "event", 0.06, 180.0, 0.0, 0.40, 0.70, 0.55, 0.65, 0.30, 38_000.0,
        (0.15, 0.20, 0.10, 0.10, 0.25, 0.20), "event",
        (_variant("Trade shows", "event", "tradeshow", "event", 0.6),
         _variant("Executive dinners", "event", "dinner", "event", 0.4)),
    ),
    ChannelParameters(
        "content", 0.10, 45.0, 0.25, 0.18, 0.50, 0.40, 0.50, 0.18, 15_000.0,
        (0.35, 0.15, 0.15, 0.05, 0.10, 0.20), "content_download",
        (_variant("Content syndication", "content", "techtarget", "syndication", 0.6),
         _variant("Review sites", "content", "g2", "syndication", 0.4)),
    ),
    ChannelParameters(
        "referral", 0.05, 40.0, 0.0, 0.60, 0.88, 0.70, 0.72, 0.40, 32_000.0,
        (0.30, 0.30, 0.05, 0.05, 0.10, 0.20), "form_fill",
        (_variant("Customer referral programme", "referral", "referral", "referral", 1.0),),
    ),
    ChannelParameters(
        "direct", 0.07, 0.0, 0.0, 0.35, 0.74, 0.55, 0.60, 0.27, 22_000.0,
        (0.30, 0.20, 0.15, 0.10, 0.10, 0.15), "form_fill",
        (),
    ),
    ChannelParameters(
        "partner", 0.03, 110.0, 0.0, 0.50, 0.82, 0.62, 0.68, 0.33, 42_000.0,
        (0.25, 0.30, 0.05, 0.05, 0.10, 0.25), "form_fill",
        (_variant("Partner co-marketing", "other", "partner", "partner", 1.0),),
    ),
)
# fmt: on

# fmt: off
HOURLY_WEIGHTS: tuple[float, ...] = (  # new contacts by hour of day (UTC): office hours
    0.15, 0.12, 0.10, 0.10, 0.12, 0.20, 0.35, 0.60, 0.90, 1.20, 1.30, 1.30,
    1.20, 1.30, 1.40, 1.40, 1.30, 1.10, 0.90, 0.70, 0.55, 0.45, 0.30, 0.20,
)
# fmt: on

DEFAULT_PARAMETERS = DemoParameters(
    workspace_name="Northwind Analytics (demo)",
    workspace_slug="demo",
    company_domain="northwind.example",
    currency="USD",
    window_days=365,
    channels=DEFAULT_CHANNELS,
    teams=(
        TeamParameters("Revenue Operations", "revops"),
        TeamParameters("Marketing", "marketing"),
        TeamParameters("Account Executives", "sales"),
        TeamParameters("Sales Development", "sales"),
    ),
    staff=(
        StaffParameters("revops@northwind.example", "Riley Morgan", "admin", "Revenue Operations"),
        StaffParameters("marketing.manager@northwind.example", "Maya Chen", "manager", "Marketing"),
        StaffParameters(
            "sales.manager@northwind.example", "Daniel Okafor", "manager", "Account Executives"
        ),
        StaffParameters("priya.nair@northwind.example", "Priya Nair", "marketer", "Marketing"),
        StaffParameters("lukas.weber@northwind.example", "Lukas Weber", "marketer", "Marketing"),
        StaffParameters("sofia.rossi@northwind.example", "Sofia Rossi", "marketer", "Marketing"),
        StaffParameters("ethan.brooks@northwind.example", "Ethan Brooks", "marketer", "Marketing"),
    ),
    reps=(
        RepParameters(
            "hannah.lee@northwind.example", "Hannah Lee", "sdr", "Sales Development", 0.4, 1.6
        ),
        RepParameters(
            "omar.haddad@northwind.example", "Omar Haddad", "sdr", "Sales Development", 0.9, 1.6
        ),
        RepParameters(
            "grace.kim@northwind.example", "Grace Kim", "sales_rep", "Account Executives", 1.5, 1.0
        ),
        RepParameters(
            "marco.silva@northwind.example",
            "Marco Silva",
            "sales_rep",
            "Account Executives",
            2.5,
            1.0,
        ),
        RepParameters(
            "julia.novak@northwind.example",
            "Julia Novak",
            "sales_rep",
            "Account Executives",
            4.0,
            1.0,
        ),
        RepParameters(
            "sam.carter@northwind.example",
            "Sam Carter",
            "sales_rep",
            "Account Executives",
            6.5,
            1.0,
        ),
        RepParameters(
            "aisha.bello@northwind.example",
            "Aisha Bello",
            "sales_rep",
            "Account Executives",
            11.0,
            1.0,
        ),
        RepParameters(
            "tom.fischer@northwind.example",
            "Tom Fischer",
            "sales_rep",
            "Account Executives",
            18.0,
            0.9,
        ),
        RepParameters(
            "nina.petrova@northwind.example",
            "Nina Petrova",
            "sales_rep",
            "Account Executives",
            30.0,
            0.8,
        ),
    ),
    # A summer and a December dip; March, June, September and October quarter pushes.
    monthly_seasonality=(1.00, 1.05, 1.15, 1.00, 1.05, 1.10, 0.80, 0.70, 1.10, 1.15, 1.05, 0.65),
    weekday_weights=(1.10, 1.15, 1.10, 1.05, 0.90, 0.30, 0.25),
    hourly_weights=HOURLY_WEIGHTS,
    monthly_growth=1.03,
    delays=StageDelays(
        subscriber_to_lead=DelayParameters(18.0, 0.9, 90.0),
        lead_to_mql=DelayParameters(6.0, 1.0, 60.0),
        decision=DelayParameters(1.5, 0.8, 14.0),
        sal_to_sql=DelayParameters(9.0, 0.7, 60.0),
        sal_to_recycled=DelayParameters(14.0, 0.7, 60.0),
        sql_to_opportunity=DelayParameters(6.0, 0.7, 45.0),
        sql_to_recycled=DelayParameters(12.0, 0.7, 60.0),
        sales_cycle=DelayParameters(48.0, 0.55, 300.0),
    ),
    first_touch_sigma=1.0,
    first_touch_max_hours=14 * 24.0,
    segments=(
        SegmentParameters("smb", 0.50, 5, 49, 1.0, 0.45, 0.65),
        SegmentParameters("mid_market", 0.35, 50, 999, 1.8, 1.0, 1.0),
        SegmentParameters("enterprise", 0.15, 1000, 50_000, 3.5, 2.6, 1.8),
    ),
    deal_amount_sigma=0.5,
    lost_at_stage_mix=(0.25, 0.25, 0.20, 0.15, 0.15),
    contacts_per_company=4.0,
    free_mail_share=0.12,
    extra_touchpoints_mean=2.6,
    later_touch_channel_mix=(
        ("email", 0.34),
        ("organic_search", 0.16),
        ("direct", 0.12),
        ("paid_social", 0.10),
        ("webinar", 0.08),
        ("content", 0.07),
        ("paid_search", 0.07),
        ("event", 0.04),
        ("partner", 0.01),
        ("referral", 0.01),
    ),
    touches_before_mql_share=0.6,
)


def validate(parameters: DemoParameters) -> None:
    """Refuse parameters that cannot be sampled (shares that do not sum to one, …)."""
    problems: list[str] = []
    if abs(sum(c.lead_share for c in parameters.channels) - 1) > 1e-9:
        problems.append("channel lead shares must sum to 1")
    for c in parameters.channels:
        if len(c.rejection_mix) != len(REJECTION_REASONS) or abs(sum(c.rejection_mix) - 1) > 1e-9:
            problems.append(f"{c.channel}: rejection mix must have 6 shares summing to 1")
        if c.cost_per_lead > 0 and not c.campaigns:
            problems.append(f"{c.channel}: a channel with a cost per lead needs campaigns")
    if abs(sum(s.share for s in parameters.segments) - 1) > 1e-9:
        problems.append("segment shares must sum to 1")
    if abs(sum(w for _, w in parameters.later_touch_channel_mix) - 1) > 1e-9:
        problems.append("later-touch channel mix must sum to 1")
    if len(parameters.monthly_seasonality) != 12 or len(parameters.weekday_weights) != 7:
        problems.append("seasonality needs 12 monthly and 7 weekday weights")
    if len(parameters.hourly_weights) != 24:
        problems.append("hourly weights need 24 values")
    if len(parameters.lost_at_stage_mix) != 5:
        problems.append("lost-at-stage mix needs one share per open pipeline stage (5)")
    if problems:
        raise ValueError("; ".join(problems))
