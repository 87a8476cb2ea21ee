"""A generated demo dataset is consistent, and its records give back the true parameters."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from collections import Counter, defaultdict
from decimal import Decimal

import numpy as np
import pytest
from django.conf import settings
from django.db.models import Count, Max, Sum

from accord.crm.models import (
    Activity,
    Company,
    Contact,
    Deal,
    DealStageChange,
    LedgerEntry,
    PipelineStage,
)
from accord.demo.models import DemoDataset
from accord.demo.parameters import DEFAULT_PARAMETERS, REJECTION_REASONS, DemoParameters
from accord.identity.models import Membership, Team
from accord.marketing.models import Campaign, CampaignCost, Touchpoint
from tests.demo.stats import binomial_interval

SEED = 2024
CONTACTS = 12_000
P = DEFAULT_PARAMETERS
pytestmark = pytest.mark.django_db


def _ws(demo):  # type: ignore[no-untyped-def]
    return demo.dataset.workspace


def _as_of(demo) -> dt.datetime:  # type: ignore[no-untyped-def]
    return dt.datetime.fromisoformat(demo.dataset.summary["as_of"])


def _ledger(demo) -> dict[int, list[tuple]]:  # type: ignore[no-untyped-def,type-arg]
    rows: dict[int, list[tuple]] = defaultdict(list)  # type: ignore[type-arg]
    for row in (
        LedgerEntry.objects.for_workspace(_ws(demo))
        .order_by("contact_id", "occurred_at", "id")
        .values_list(
            "contact_id", "from_stage", "to_stage", "occurred_at", "reason", "actor_user_id"
        )
    ):
        rows[row[0]].append(row[1:])
    return rows


def _reached(ledger: dict[int, list[tuple]], stage: str) -> dict[int, dt.datetime]:  # type: ignore[type-arg]
    return {c: r[2] for c, rows in ledger.items() for r in rows if r[1] == stage}


def test_the_summary_counts_what_is_in_the_database(demo) -> None:  # type: ignore[no-untyped-def]
    ws, summary = _ws(demo), demo.dataset.summary

    assert demo.reused is False
    assert summary["status"] == "complete"
    assert summary["contacts"] == Contact.objects.for_workspace(ws).count() == CONTACTS
    assert summary["companies"] == Company.objects.for_workspace(ws).count() == CONTACTS // 4
    assert summary["deals"] == Deal.objects.for_workspace(ws).count()
    assert summary["deals_won"] == Deal.objects.for_workspace(ws).filter(status="won").count()
    assert summary["deal_stage_changes"] == DealStageChange.objects.for_workspace(ws).count()
    assert summary["ledger_entries"] == LedgerEntry.objects.for_workspace(ws).count()
    assert summary["touchpoints"] == Touchpoint.objects.for_workspace(ws).count()
    assert summary["activities"] == Activity.objects.for_workspace(ws).count()
    assert summary["campaigns"] == Campaign.objects.for_workspace(ws).count()
    assert summary["campaign_costs"] == CampaignCost.objects.for_workspace(ws).count()
    assert summary["deals"] > 0 and summary["deals_won"] > 0 and summary["deals_open"] > 0


def test_every_contact_has_a_ledger_ending_in_its_stage(demo) -> None:  # type: ignore[no-untyped-def]
    ledger = _ledger(demo)
    contacts = Contact.objects.for_workspace(_ws(demo)).values_list(
        "pk", "lifecycle_stage", "created_at"
    )

    assert len(ledger) == CONTACTS
    for pk, stage, created in contacts:
        rows = ledger[pk]
        assert rows[0][:2] == ("", rows[0][1]) and rows[0][1] in {"lead", "subscriber"}
        assert rows[0][2] == created and rows[0][3] == "created"
        assert rows[-1][1] == stage
        for before, after in itertools.pairwise(rows):
            assert after[0] == before[1]
            assert after[2] > before[2]


def test_nothing_is_dated_after_the_end_of_the_data(demo) -> None:  # type: ignore[no-untyped-def]
    ws, as_of = _ws(demo), _as_of(demo)
    latest = [
        Contact.objects.for_workspace(ws).aggregate(a=Max("created_at"), b=Max("updated_at")),
        Company.objects.for_workspace(ws).aggregate(a=Max("created_at")),
        LedgerEntry.objects.for_workspace(ws).aggregate(a=Max("occurred_at")),
        Touchpoint.objects.for_workspace(ws).aggregate(a=Max("occurred_at")),
        Activity.objects.for_workspace(ws).aggregate(a=Max("occurred_at")),
        Deal.objects.for_workspace(ws).aggregate(a=Max("created_at"), b=Max("closed_at")),
        DealStageChange.objects.for_workspace(ws).aggregate(a=Max("occurred_at")),
        CampaignCost.objects.for_workspace(ws).aggregate(a=Max("created_at")),
    ]

    assert all(value <= as_of for row in latest for value in row.values())
    last_cost = CampaignCost.objects.for_workspace(ws).aggregate(d=Max("date"))["d"]
    assert last_cost <= as_of.date()


def test_deals_are_the_opportunities_of_the_ledger(demo) -> None:  # type: ignore[no-untyped-def]
    ws = _ws(demo)
    ledger = _ledger(demo)
    opportunity, customer = _reached(ledger, "opportunity"), _reached(ledger, "customer")
    stages = dict(PipelineStage.objects.for_workspace(ws).values_list("pk", "key"))
    owners = dict(Contact.objects.for_workspace(ws).values_list("pk", "owner_id"))
    deals = list(
        Deal.objects.for_workspace(ws).values_list(
            "pk", "primary_contact_id", "created_at", "status", "stage_id", "closed_at",
            "owner_id", "currency", "close_reason",
        )
    )  # fmt: skip
    history: dict[int, list[tuple]] = defaultdict(list)  # type: ignore[type-arg]
    for row in (
        DealStageChange.objects.for_workspace(ws)
        .order_by("deal_id", "occurred_at", "id")
        .values_list("deal_id", "from_stage_id", "to_stage_id", "occurred_at")
    ):
        history[row[0]].append(row[1:])

    assert sorted(d[1] for d in deals) == sorted(opportunity)
    for pk, contact, created, status, stage, closed_at, owner, currency, reason in deals:
        assert created == opportunity[contact]
        assert owner == owners[contact] and owner is not None and currency == "USD"
        key = stages[stage]
        assert status == {"closed_won": "won", "closed_lost": "lost"}.get(key, "open")
        assert (status == "won") == (contact in customer)
        assert (closed_at is None) == (status == "open") == (reason == "")
        changes = history[pk]
        assert changes[0][0] is None and stages[changes[0][1]] == "qualification"
        assert changes[0][2] == created and changes[-1][1] == stage
        if closed_at is not None:
            assert changes[-1][2] == closed_at == customer.get(contact, closed_at)


def test_campaign_costs_are_leads_times_cost_per_lead(demo) -> None:  # type: ignore[no-untyped-def]
    ws = _ws(demo)
    leads = dict(
        Contact.objects.for_workspace(ws)
        .values("original_source")
        .annotate(n=Count("pk"))
        .values_list("original_source", "n")
    )
    spent = dict(
        CampaignCost.objects.for_workspace(ws)
        .values("campaign__channel")
        .annotate(total=Sum("amount"))
        .values_list("campaign__channel", "total")
    )

    assert sum(leads.values()) == CONTACTS
    for channel in P.channels:
        expected = Decimal(leads[channel.channel]) * Decimal(str(channel.cost_per_lead))
        actual = spent.get(channel.channel, Decimal(0))
        assert abs(actual - expected) <= expected * Decimal("0.01"), channel.channel
    assert "direct" not in spent


def test_the_true_parameters_are_stored_and_written_out(demo) -> None:  # type: ignore[no-untyped-def]
    dataset = DemoDataset.objects.for_workspace(_ws(demo)).get()
    document = json.loads((settings.DATA_DIR / "demo-parameters.json").read_text())

    assert (dataset.seed, dataset.contacts) == (SEED, CONTACTS)
    assert DemoParameters.from_dict(dataset.parameters) == P
    assert (document["seed"], document["contacts"]) == (SEED, CONTACTS)
    assert document["as_of"] == dataset.summary["as_of"]
    assert DemoParameters.from_dict(document["parameters"]) == P


def _channels(demo) -> dict[int, str]:  # type: ignore[no-untyped-def]
    return dict(Contact.objects.for_workspace(_ws(demo)).values_list("pk", "original_source"))


def test_lead_to_mql_rates_match_the_parameters(demo) -> None:  # type: ignore[no-untyped-def]
    ledger, channel_of = _ledger(demo), _channels(demo)
    horizon = _as_of(demo) - dt.timedelta(days=P.delays.lead_to_mql.max_days)
    lead, mql = _reached(ledger, "lead"), _reached(ledger, "mql")
    for channel in P.channels:
        cohort = [c for c, at in lead.items() if at <= horizon and channel_of[c] == channel.channel]
        lo, hi = binomial_interval(len(cohort), channel.lead_to_mql)

        assert len(cohort) > 100
        assert lo <= sum(c in mql for c in cohort) <= hi, channel.channel


def test_mql_acceptance_rates_match_the_parameters(demo) -> None:  # type: ignore[no-untyped-def]
    ledger, channel_of = _ledger(demo), _channels(demo)
    resolved = dt.timedelta(hours=P.first_touch_max_hours, days=P.delays.decision.max_days)
    horizon = _as_of(demo) - resolved
    mql, sal = _reached(ledger, "mql"), _reached(ledger, "sal")
    for channel in P.channels:
        cohort = [c for c, at in mql.items() if at <= horizon and channel_of[c] == channel.channel]
        lo, hi = binomial_interval(len(cohort), channel.mql_to_sal)

        assert len(cohort) > 50
        assert lo <= sum(c in sal for c in cohort) <= hi, channel.channel


def test_rejected_leads_carry_a_reason_and_the_rep(demo) -> None:  # type: ignore[no-untyped-def]
    ws = _ws(demo)
    target = dict(REJECTION_REASONS)
    owners = dict(Contact.objects.for_workspace(ws).values_list("pk", "owner_id"))
    rejected = list(
        LedgerEntry.objects.for_workspace(ws)
        .filter(from_stage="mql", to_stage__in=["recycled", "disqualified"])
        .values_list(
            "contact_id", "contact__original_source", "to_stage", "reason", "actor_user_id"
        )
    )
    by_channel: dict[str, Counter[str]] = defaultdict(Counter)
    for contact, channel, to_stage, reason, actor in rejected:
        assert target[reason] == to_stage
        assert actor == owners[contact] and actor is not None
        by_channel[channel][reason] += 1

    assert len(rejected) > 500
    checks = len(P.channels) * len(REJECTION_REASONS)
    for channel in P.channels:
        n = sum(by_channel[channel.channel].values())
        for (reason, _), share in zip(REJECTION_REASONS, channel.rejection_mix, strict=True):
            lo, hi = binomial_interval(n, share, level=1 - 0.001 / checks)
            assert lo <= by_channel[channel.channel][reason] <= hi, (channel.channel, reason)


def test_reps_follow_up_speeds_rank_as_the_parameters(demo) -> None:  # type: ignore[no-untyped-def]
    ws = _ws(demo)
    horizon = _as_of(demo) - dt.timedelta(hours=P.first_touch_max_hours + 1)
    mql = dict(
        LedgerEntry.objects.for_workspace(ws)
        .filter(to_stage="mql", occurred_at__lte=horizon)
        .values_list("contact_id", "occurred_at")
    )
    first_touch: dict[int, tuple[dt.datetime, int]] = {}
    for contact, user, at in (
        Activity.objects.for_workspace(ws)
        .filter(kind__in=["call", "email"], contact_id__in=list(mql))
        .order_by("occurred_at")
        .values_list("contact_id", "user_id", "occurred_at")
    ):
        first_touch.setdefault(contact, (at, user))
    emails = dict(Membership.objects.for_workspace(ws).values_list("user_id", "user__email"))
    delays: dict[str, list[float]] = defaultdict(list)
    for contact, (at, user) in first_touch.items():
        delays[emails[user]].append((at - mql[contact]).total_seconds() / 3600)
    observed = sorted(delays, key=lambda email: float(np.median(delays[email])))
    expected = [r.email for r in sorted(P.reps, key=lambda r: r.median_first_touch_hours)]

    assert len(first_touch) == len(mql)
    assert min(len(v) for v in delays.values()) > 100
    assert observed == expected


def test_people_are_in_teams_with_roles(demo) -> None:  # type: ignore[no-untyped-def]
    ws = _ws(demo)
    roles = Counter(Membership.objects.for_workspace(ws).values_list("role", flat=True))
    kinds = Counter(Team.objects.for_workspace(ws).values_list("kind", flat=True))

    assert roles == {"admin": 1, "manager": 2, "marketer": 4, "sales_rep": 7, "sdr": 2}
    assert kinds == {"sales": 2, "marketing": 1, "revops": 1}
    assert Membership.objects.for_workspace(ws).filter(team__isnull=True).count() == 0
    admin = Membership.objects.for_workspace(ws).get(role="admin").user
    assert admin.email == demo.login_email == "revops@northwind.example"
    assert admin.check_password(demo.password)


def test_journeys_start_with_the_source_touch(demo) -> None:  # type: ignore[no-untyped-def]
    ws = _ws(demo)
    contacts = {
        pk: (source, created, utm)
        for pk, source, created, utm in Contact.objects.for_workspace(ws).values_list(
            "pk", "original_source", "created_at", "utm_campaign"
        )
    }
    first: dict[int, tuple] = {}  # type: ignore[type-arg]
    for contact, channel, at, utm in (
        Touchpoint.objects.for_workspace(ws)
        .order_by("contact_id", "occurred_at", "id")
        .values_list("contact_id", "channel", "occurred_at", "utm_campaign")
    ):
        first.setdefault(contact, (channel, at, utm))
    total = Touchpoint.objects.for_workspace(ws).count()
    extra_mean = P.extra_touchpoints_mean * CONTACTS

    assert first == contacts
    assert abs(total - CONTACTS - extra_mean) <= 4 * math.sqrt(extra_mean)


def test_contacts_have_company_addresses_and_personal_ones(demo) -> None:  # type: ignore[no-untyped-def]
    ws = _ws(demo)
    domains = dict(Company.objects.for_workspace(ws).values_list("pk", "domain"))
    contacts = list(Contact.objects.for_workspace(ws).values_list("email", "company_id"))
    personal = [email for email, company in contacts if company is None]

    assert len({email for email, _ in contacts}) == CONTACTS
    assert len(set(domains.values())) == len(domains)
    for email, company in contacts:
        if company is not None:
            assert email.split("@")[1] == domains[company]
    share = len(personal) / CONTACTS
    assert abs(share - P.free_mail_share) <= 4 * math.sqrt(P.free_mail_share * 0.88 / CONTACTS)


def test_deal_amounts_have_the_known_means(demo) -> None:  # type: ignore[no-untyped-def]
    ws = _ws(demo)
    segments = {s.key: s for s in P.segments}

    def segment(employees: int | None) -> str:
        if employees is None or employees < 50:
            return "smb"
        return "mid_market" if employees < 1000 else "enterprise"

    ratios = [
        float(amount)
        / (P.channel(source).mean_deal_amount * segments[segment(size)].deal_amount_multiplier)
        for amount, source, size in Deal.objects.for_workspace(ws).values_list(
            "amount", "source", "company__employee_count"
        )
    ]
    spread = math.sqrt(math.exp(P.deal_amount_sigma**2) - 1)

    assert len(ratios) > 300
    assert abs(float(np.mean(ratios)) - 1) <= 4 * spread / math.sqrt(len(ratios))
