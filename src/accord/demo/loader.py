"""The bulk loader of the demo dataset: the workspace, its people and campaigns through the
services, then the generated records chunk by chunk in bulk, each chunk in one transaction.

It writes the same tables the CRM and marketing services write, with the same invariants: every
contact's first ledger row is ``'' -> first stage``, each transition is one ledger row, and
``Contact.lifecycle_stage`` is the last row's ``to_stage``.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accord.attribution.services import recognise_missing
from accord.core.errors import Conflict, ValidationFailed
from accord.crm.models import (
    Activity,
    Company,
    Contact,
    Deal,
    DealStageChange,
    LedgerEntry,
    Pipeline,
    PipelineStage,
)
from accord.crm.services.provisioning import DEFAULT_PIPELINE_STAGES, provision_workspace
from accord.demo import rows
from accord.demo.enablement_setup import set_up_demo_enablement
from accord.demo.experiment_setup import Member, plant_demo_experiment
from accord.demo.generator import (
    Chunk,
    chunk_sizes,
    company_block,
    generate_chunk,
    weekly_costs,
)
from accord.demo.goal_setup import set_demo_goal
from accord.demo.handoff_setup import set_up_demo_handoff
from accord.demo.lead_definition import propose_demo_definition
from accord.demo.meeting_setup import set_up_demo_meetings
from accord.demo.models import DemoDataset
from accord.demo.parameters import DEFAULT_PARAMETERS, DemoParameters, validate
from accord.demo.population import Population, draw_population
from accord.demo.reset import demo_workspace_delete
from accord.demo.survey_setup import run_demo_pulses
from accord.demo.timeline import CampaignPlan, Timeline, build_timeline, plan_campaigns
from accord.demo.writer import BulkWriter
from accord.identity.models import User, Workspace
from accord.identity.services import membership_set, team_create, user_create, workspace_create
from accord.marketing.models import Campaign, CampaignCost, Touchpoint

DEMO_PASSWORD = "accord-demo"  # noqa: S105 - printed for the demo's users, by design
MAX_CONTACTS = 5_000_000

# The recognition feed starts with the wins of the last two months (the latest 500 at most).
RECOGNISED_DAYS, RECOGNISED_MAX = 60, 500
ProgressCallback = Callable[[int, str], None]  # (contacts written so far, phase)


@dataclass
class DemoContext:
    workspace: Workspace
    timeline: Timeline
    plan: CampaignPlan
    parameters: DemoParameters
    targets: rows.Targets
    counts: dict[str, int] = field(default_factory=dict)
    experiment_members: list[Member] = field(default_factory=list)  # the planted experiment


@dataclass(frozen=True)
class DemoResult:
    dataset: DemoDataset
    reused: bool
    login_email: str
    password: str


def parameters_path() -> Path:
    return Path(settings.DATA_DIR) / "demo-parameters.json"


def _shared_agreements(ctx: DemoContext, as_of: dt.datetime, seed: int) -> None:
    """What both teams agreed on and did together: the SLA with its handoffs, this month's
    revenue goal, the experiment sales ran; and the recognition of the deals won lately
    (written here as the generator saves no events)."""
    workspace = ctx.workspace
    set_up_demo_handoff(workspace, as_of)
    set_demo_goal(workspace, as_of)
    plant_demo_experiment(workspace, as_of, ctx.experiment_members)
    set_up_demo_meetings(workspace, as_of, seed)
    set_up_demo_enablement(workspace, as_of, seed)
    recognise_missing(
        workspace, since=as_of - dt.timedelta(days=RECOGNISED_DAYS), latest=RECOGNISED_MAX
    )
    run_demo_pulses(workspace, as_of, seed)  # after the handoffs: it reviews rejections


def demo_generate(
    *,
    seed: int = 42,
    contacts: int = 20_000,
    as_of: dt.datetime | None = None,
    fresh: bool = False,
    parameters: DemoParameters = DEFAULT_PARAMETERS,
    progress: ProgressCallback | None = None,
) -> DemoResult:
    """Create the demo workspace with `contacts` contacts drawn from `parameters` with `seed`,
    ending at `as_of` (default: now). An existing demo dataset with the same seed and size is
    reused unless `fresh`; otherwise it is deleted and generated again."""
    validate(parameters)
    if not 1 <= contacts <= MAX_CONTACTS:
        raise ValidationFailed.single("contacts", f"Use between 1 and {MAX_CONTACTS:,} contacts.")
    if not 0 <= seed < 2**63:
        raise ValidationFailed.single("seed", "The seed is a non-negative integer.")
    now = timezone.now()
    as_of = (as_of or now).astimezone(dt.UTC).replace(microsecond=0)
    if as_of > now:
        raise ValidationFailed.single("as_of", "The demo data cannot end in the future.")
    login = parameters.staff[0].email
    started = time.perf_counter()

    existing = Workspace.objects.filter(slug=parameters.workspace_slug).first()
    if existing is not None:
        dataset = DemoDataset.objects.for_workspace(existing).first()
        if dataset is None:
            raise Conflict(
                f"A workspace with slug '{parameters.workspace_slug}' exists and was not made "
                "by `accord demo`; it is left alone. Rename or delete it first."
            )
        complete = dataset.summary.get("status") == "complete"
        if complete and not fresh and (dataset.seed, dataset.contacts) == (seed, contacts):
            return DemoResult(dataset, reused=True, login_email=login, password=DEMO_PASSWORD)
        if progress:
            progress(0, "deleting the previous demo workspace")
        demo_workspace_delete(existing)

    timeline = build_timeline(parameters, as_of)
    plan = plan_campaigns(parameters, timeline, seed, contacts)
    writer = BulkWriter()
    ctx = _setup(parameters, timeline, plan, seed, contacts)
    population = draw_population(parameters, timeline, seed=seed, contacts=contacts)
    leads = np.zeros((len(plan.specs), timeline.weeks), dtype=np.int64)
    writer.tune(cache_mib=256)
    try:
        if progress:
            progress(0, "writing companies")
        company_base = _write_companies(writer, ctx, population)
        done = 0
        for index, size in enumerate(chunk_sizes(contacts)):
            chunk = generate_chunk(
                parameters,
                timeline,
                plan,
                population,
                seed=seed,
                index=index,
                start=done,
                stop=done + size,
            )
            with transaction.atomic():
                _write_chunk(writer, ctx, chunk, company_base)
            leads += chunk.leads_by_campaign_week
            done += size
            del chunk
            if progress:
                progress(done, "writing contacts")
        propose_demo_definition(ctx.workspace)
        if progress:
            progress(done, "handing past MQLs to sales")
        _shared_agreements(ctx, timeline.as_of, seed)
        dataset = _finish(ctx, seed, contacts, leads, started)
    finally:
        writer.tune(cache_mib=0)
    return DemoResult(dataset, reused=False, login_email=login, password=DEMO_PASSWORD)


def _demo_user(email: str, full_name: str, *, staff: bool = False) -> User:
    """Workspace admins get the Django admin (scoped to their workspace) as well."""
    user = User.objects.filter(email=email).first()
    if user is None:
        return user_create(email=email, password=DEMO_PASSWORD, full_name=full_name, is_staff=staff)
    if not user.check_password(DEMO_PASSWORD) or not user.is_active:
        user.set_password(DEMO_PASSWORD)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
    return user


@transaction.atomic
def _setup(
    p: DemoParameters, timeline: Timeline, plan: CampaignPlan, seed: int, contacts: int
) -> DemoContext:
    """The workspace, teams, people and campaigns, through the services where they exist."""
    workspace = workspace_create(name=p.workspace_name, slug=p.workspace_slug, currency=p.currency)
    Workspace.objects.filter(pk=workspace.pk).update(created_at=timeline.origin)
    provision_workspace(workspace)
    DemoDataset.objects.create(
        workspace=workspace,
        seed=seed,
        contacts=contacts,
        parameters=p.to_dict(),
        summary={"status": "generating"},
    )
    teams = {t.name: team_create(workspace=workspace, name=t.name, kind=t.kind) for t in p.teams}
    marketer_ids: list[int] = []
    for person in p.staff:
        user = _demo_user(person.email, person.full_name, staff=person.role == "admin")
        membership_set(workspace=workspace, user=user, role=person.role, team=teams[person.team])
        if person.role == "marketer":
            marketer_ids.append(user.pk)
    rep_ids: list[int] = []
    for rep in p.reps:
        user = _demo_user(rep.email, rep.full_name)
        membership_set(workspace=workspace, user=user, role=rep.role, team=teams[rep.team])
        rep_ids.append(user.pk)

    campaigns = Campaign.objects.bulk_create(
        Campaign(
            workspace=workspace,
            name=spec.name,
            channel=p.channels[spec.channel].channel,
            type=spec.type,
            start_date=spec.start_date,
            end_date=spec.end_date,
            budget=spec.budget,
            currency=p.currency,
            utm_campaign=spec.utm_campaign,
            # Each channel's campaigns are run by one marketer: recognition names them.
            owner_id=marketer_ids[spec.channel % len(marketer_ids)] if marketer_ids else None,
            created_at=timeline.origin
            + dt.timedelta(days=max(0, (spec.start_date - timeline.origin.date()).days - 14)),
        )
        for spec in plan.specs
    )
    pipeline = Pipeline.objects.for_workspace(workspace).get(is_default=True)
    stages = dict(
        PipelineStage.objects.for_workspace(workspace)
        .filter(pipeline=pipeline)
        .values_list("key", "pk")
    )
    expected = [key for key, *_ in DEFAULT_PIPELINE_STAGES]
    if list(rows.PIPELINE_KEYS) != expected:
        raise RuntimeError(
            f"The demo expects pipeline stages {rows.PIPELINE_KEYS}, not {expected}."
        )
    return DemoContext(
        workspace=workspace,
        timeline=timeline,
        plan=plan,
        parameters=p,
        targets=rows.Targets(
            workspace_id=workspace.pk,
            rep_user_ids=rep_ids,
            campaign_ids=[c.pk for c in campaigns],
            pipeline_id=pipeline.pk,
            stage_ids=[stages[key] for key in rows.PIPELINE_KEYS],
        ),
        counts={"campaigns": len(campaigns), "users": len(p.staff) + len(p.reps)},
    )


COMPANY_BLOCK = 50_000


@transaction.atomic
def _write_companies(writer: BulkWriter, ctx: DemoContext, population: Population) -> int:
    """All companies in one transaction (their ids are one reserved block); returns the id of
    population company 0."""
    writer.lock([Company])
    base = writer.reserve_ids(Company, population.companies)
    fmt = rows.Formatter(
        ctx.parameters, ctx.timeline, ctx.targets, rows.ChunkIds(base, 0, 0), sqlite=writer.sqlite
    )
    for start in range(0, population.companies, COMPANY_BLOCK):
        block = company_block(population, start, min(start + COMPANY_BLOCK, population.companies))
        fields, table_rows, count = fmt.companies(block)
        writer.insert(Company, fields, table_rows)
        ctx.counts["company"] = ctx.counts.get("company", 0) + count
    return base


def _write_chunk(writer: BulkWriter, ctx: DemoContext, chunk: Chunk, company_base: int) -> None:
    writer.lock([Contact, Deal])
    ids = rows.ChunkIds(
        company=company_base,
        contact=writer.reserve_ids(Contact, len(chunk.contacts.email)),
        deal=writer.reserve_ids(Deal, len(chunk.deals.contact)),
    )
    fmt = rows.Formatter(ctx.parameters, ctx.timeline, ctx.targets, ids, sqlite=writer.sqlite)
    for model, (fields, table_rows, count) in (
        (Contact, fmt.contacts(chunk)),
        (Deal, fmt.deals(chunk)),
        (DealStageChange, fmt.deal_stage_changes(chunk)),
        (LedgerEntry, fmt.ledger(chunk)),
        (Touchpoint, fmt.touchpoints(chunk)),
        (Activity, fmt.activities(chunk)),
    ):
        writer.insert(model, fields, table_rows)
        key = model._meta.model_name or ""
        ctx.counts[key] = ctx.counts.get(key, 0) + count
    for i in np.flatnonzero(chunk.experiment_arm >= 0).tolist():
        joined = ctx.timeline.origin + dt.timedelta(seconds=float(chunk.contacts.created[i]))
        ctx.experiment_members.append((ids.contact + i, int(chunk.experiment_arm[i]), joined))
    for status in ("won", "lost"):
        ctx.counts[f"deals_{status}"] = ctx.counts.get(f"deals_{status}", 0) + sum(
            1 for s in chunk.deals.status if s == status
        )


def _finish(
    ctx: DemoContext, seed: int, contacts: int, leads: np.ndarray, started: float
) -> DemoDataset:
    p, timeline, workspace = ctx.parameters, ctx.timeline, ctx.workspace
    costs = weekly_costs(p, timeline, ctx.plan, leads, seed)
    with transaction.atomic():
        CampaignCost.objects.bulk_create(
            (
                CampaignCost(
                    workspace=workspace,
                    campaign_id=ctx.targets.campaign_ids[campaign],
                    date=date,
                    amount=round(amount, 2),
                    currency=p.currency,
                    note="Weekly spend",
                    created_at=min(
                        dt.datetime.combine(date, dt.time(18), tzinfo=dt.UTC), timeline.as_of
                    ),
                )
                for campaign, date, amount in costs
            ),
            batch_size=500,
        )
        c = ctx.counts
        summary: dict[str, Any] = {
            "status": "complete",
            "as_of": timeline.as_of.isoformat(),
            "window_start": timeline.origin.isoformat(),
            "contacts": c.get("contact", 0),
            "companies": c.get("company", 0),
            "deals": c.get("deal", 0),
            "deals_won": c.get("deals_won", 0),
            "deals_lost": c.get("deals_lost", 0),
            "deals_open": c.get("deal", 0) - c.get("deals_won", 0) - c.get("deals_lost", 0),
            "deal_stage_changes": c.get("dealstagechange", 0),
            "ledger_entries": c.get("ledgerentry", 0),
            "touchpoints": c.get("touchpoint", 0),
            "activities": c.get("activity", 0),
            "campaigns": c.get("campaigns", 0),
            "campaign_costs": len(costs),
            "users": c.get("users", 0),
            "seconds": round(time.perf_counter() - started, 1),
        }
        dataset = DemoDataset.objects.for_workspace(workspace).get()
        dataset.summary = summary
        dataset.save(update_fields=["summary"])
    _write_parameters_file(p, seed, contacts, summary)
    return dataset


def _write_parameters_file(
    p: DemoParameters, seed: int, contacts: int, summary: dict[str, Any]
) -> None:
    path = parameters_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "seed": seed,
        "contacts": contacts,
        "as_of": summary["as_of"],
        "window_start": summary["window_start"],
        "parameters": p.to_dict(),
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
