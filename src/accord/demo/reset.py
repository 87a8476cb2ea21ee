"""Deleting a demo workspace fast: its big tables row-set by row-set with one DELETE each, in an
order that never leaves a dangling reference, then the workspace itself (Django's cascade
removes what is left: stages, pipelines, teams, memberships, tokens, and the records of any
other context). Users are kept: they may belong to other workspaces."""

from __future__ import annotations

from django.db import models, transaction

from accord.crm.models import Activity, Company, Contact, Deal, DealStageChange, LedgerEntry
from accord.demo.models import DemoDataset
from accord.demo.writer import BulkWriter
from accord.identity.models import Workspace
from accord.marketing.models import Campaign, CampaignCost, Touchpoint

# Children before parents.
DELETE_ORDER: tuple[type[models.Model], ...] = (
    Activity,
    Touchpoint,
    LedgerEntry,
    DealStageChange,
    Deal,
    Contact,
    Company,
    CampaignCost,
    Campaign,
    DemoDataset,
)


def demo_workspace_delete(workspace: Workspace) -> None:
    writer = BulkWriter()
    writer.tune(cache_mib=256)
    try:
        with transaction.atomic():
            for model in DELETE_ORDER:
                writer.delete_workspace_rows(model, workspace.pk)
            workspace.delete()
    finally:
        writer.tune(cache_mib=0)
