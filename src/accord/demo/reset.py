"""Deleting a demo workspace fast: its big tables row-set by row-set with one DELETE each, in an
order that never leaves a dangling reference, then the workspace itself (Django's cascade
removes what is left: stages, pipelines, teams, memberships, tokens, and the records of any
other context). Users are kept: they may belong to other workspaces.

When the demo is all a table holds, as in a database made by `accord demo`, the tables are
emptied outright, which SQLite does without visiting rows (1M contacts: ~85 s → a few s)."""

from __future__ import annotations

from django.apps import apps
from django.db import connection, models, transaction

from accord.crm.models import Activity, Company, Contact, Deal, DealStageChange, LedgerEntry
from accord.definitions.models import ContactPrediction, ContactScore
from accord.demo.models import DemoDataset
from accord.demo.writer import BulkWriter
from accord.handoff.models import ContactCapViolation, Dispute, Escalation, Handoff
from accord.identity.audit import entries_of_deleted_workspaces_delete
from accord.identity.models import Workspace
from accord.marketing.models import Campaign, CampaignCost, Touchpoint

# Children before parents.
DELETE_ORDER: tuple[type[models.Model], ...] = (
    Escalation,
    Dispute,
    ContactCapViolation,
    Handoff,
    ContactScore,
    ContactPrediction,
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
        with writer.freed_pages_not_zeroed():
            if writer.sqlite and _delete_whole_tables(writer, workspace):
                return
            with transaction.atomic():
                _delete(writer, workspace, whole_table=False)
    finally:
        writer.tune(cache_mib=0)


def _delete_whole_tables(writer: BulkWriter, workspace: Workspace) -> bool:
    """The usual embedded demo: the demo tables hold nothing else. With foreign-key enforcement
    off (possible outside a transaction only; otherwise it stays on and this is merely slower)
    SQLite empties them without visiting rows. Every foreign key into the emptied tables is
    checked before the commit. Returns False, having done nothing, if other rows exist."""
    with connection.constraint_checks_disabled(), transaction.atomic():
        if not writer.only_workspace(DELETE_ORDER, workspace.pk):
            return False
        _delete(writer, workspace, whole_table=True)
        connection.check_constraints(table_names=_referencing_tables())
    return True


def _referencing_tables() -> list[str]:
    """Tables with a foreign key to a table the demo empties, or to the workspace."""
    targets = {*DELETE_ORDER, Workspace}
    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            for field in model._meta.concrete_fields
            if field.remote_field is not None and field.remote_field.model in targets
        }
    )


def _delete(writer: BulkWriter, workspace: Workspace, *, whole_table: bool) -> None:
    for model in DELETE_ORDER:
        writer.delete_workspace_rows(model, workspace.pk, whole_table=whole_table)
    workspace.delete()
    entries_of_deleted_workspaces_delete()  # the audit log's, if no ON DELETE CASCADE ran
