"""One importer per record type: how a row is prepared, keyed for duplicates, and written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from accord.crm.services.bulk import BatchCounts, CompanyDirectory, contacts_import_batch
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
    # prepare() reads only what __init__ loaded: it may run in a reader thread.
    pure_prepare = True

    def __init__(self, actor: Actor, mapping: ColumnMapping, *, on_match: str, rule: str) -> None:
        from accord.crm.selectors import lifecycle_stages
        from accord.identity.selectors import workspace_members

        members = list(workspace_members(actor.workspace))
        self.actor = actor
        self.on_match = on_match
        self.rule = rule
        self.preparer = ContactPreparer(
            mapping,
            stage_keys=set(lifecycle_stages(actor.workspace).values_list("key", flat=True)),
            members_by_email={m.user.email.lower(): m.user_id for m in members},
            members_by_name={
                m.user.full_name.strip().lower(): m.user_id for m in members if m.user.full_name
            },
        )
        self.companies: CompanyDirectory | None = None

    def prepare(
        self, row: int, values: dict[str, str], custom: dict[str, str]
    ) -> tuple[Any | None, list[RowError]]:
        return self.preparer.prepare(row, values, custom)

    def key(self, item: Any) -> str:
        return str(item.email)

    def write(self, items: Sequence[Any]) -> BatchCounts:
        if self.companies is None:
            self.companies = CompanyDirectory(self.actor)
        self.companies.ensure(i.company_key for i in items if i.company_key)
        for item in items:
            if item.company_key:
                item.company_id = self.companies.lookup(*item.company_key)
        return contacts_import_batch(
            actor=self.actor,
            rows=items,
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
