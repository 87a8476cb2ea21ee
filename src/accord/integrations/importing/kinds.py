"""One importer per record type: how a row is prepared, keyed for duplicates, and written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from accord.core.channels import Channel
from accord.crm.models import LeadStatus, Seniority
from accord.crm.services.bulk import (
    BatchCounts,
    CompanyDirectory,
    ContactBatch,
    contacts_import_batch,
)
from accord.identity.actor import Actor
from accord.integrations.importing.contacts import ContactPreparer
from accord.integrations.importing.mapping import ColumnMapping
from accord.integrations.importing.rows import RowError


class RecordImporter(Protocol):
    def prepare(
        self, row: int, values: dict[str, str], custom: dict[str, str]
    ) -> tuple[Any | None, list[RowError]]: ...

    def key(self, item: Any) -> str:
        """What makes two rows of one file the same record (reported as a duplicate)."""
        ...

    def write(self, items: Sequence[Any]) -> BatchCounts: ...


class ContactImporter:
    """Contacts, the high-volume type: rows are prepared by a Django-free `ContactPreparer`
    (which may run in a reader process, built from `preparer_spec`) and written in bulk."""

    def __init__(self, actor: Actor, mapping: ColumnMapping, *, on_match: str, rule: str) -> None:
        from accord.crm.selectors import lifecycle_stages
        from accord.identity.selectors import workspace_members

        members = list(workspace_members(actor.workspace))
        self.actor = actor
        self.on_match = on_match
        self.rule = rule
        self.preparer_args: dict[str, Any] = {
            "mapping": mapping,
            "stage_keys": set(lifecycle_stages(actor.workspace).values_list("key", flat=True)),
            "members_by_email": {m.user.email.lower(): m.user_id for m in members},
            "members_by_name": {
                m.user.full_name.strip().lower(): m.user_id for m in members if m.user.full_name
            },
            "choices": {
                "seniority": set(Seniority.values),
                "lead_status": set(LeadStatus.values),
                "original_source": set(Channel.values),
            },
        }
        self.preparer = ContactPreparer(**self.preparer_args)
        self.companies: CompanyDirectory | None = None

    def preparer_spec(self) -> tuple[type[ContactPreparer], dict[str, Any]]:
        """How a reader process builds this importer's row preparer."""
        return ContactPreparer, self.preparer_args

    def prepare(
        self, row: int, values: dict[str, str], custom: dict[str, str]
    ) -> tuple[Any | None, list[RowError]]:
        return self.preparer.prepare(row, values, custom)

    def key(self, item: Any) -> str:
        return self.preparer.key(item)

    def write(self, items: Sequence[Any]) -> BatchCounts:
        if self.companies is None:
            self.companies = CompanyDirectory(self.actor)
        companies = self.companies
        keys = [item[4] for item in items]  # (domain, name) or None
        companies.ensure(k for k in keys if k)
        by_domain, lookup = companies.by_domain.get, companies.lookup
        return contacts_import_batch(
            actor=self.actor,
            batch=ContactBatch(
                columns=self.preparer.columns,
                rows=items,
                company_ids=[
                    None if k is None else (by_domain(k[0]) if k[0] else lookup(*k)) for k in keys
                ],
            ),
            on_match=self.on_match,
            default_stage="lead",
            rule=self.rule,
        )


def importer_for(
    record_type: str, actor: Actor, mapping: ColumnMapping, *, on_match: str, rule: str
) -> RecordImporter:
    if record_type == "contacts":
        return ContactImporter(actor, mapping, on_match=on_match, rule=rule)
    from accord.integrations.importing.records import RECORD_IMPORTERS

    factory = RECORD_IMPORTERS.get(record_type)
    if factory is None:
        raise ValueError(f"Importing {record_type} is not supported.")
    return factory(actor, mapping, on_match=on_match, rule=rule)
