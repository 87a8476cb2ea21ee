"""Turning a file row into target values, and the row errors an import reports."""

from __future__ import annotations

from dataclasses import dataclass

from accord.integrations.export.cells import unneutralise
from accord.integrations.importing.mapping import ColumnMapping
from accord.integrations.importing.presets import ACCORD


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    reason: str


class RowReader:
    """Extracts {target: text} and {custom field: text} from a row's cells, fast.

    Cells are stripped. In an Accord export (its preset), the single quote the export puts
    before a formula-like value ("'=1+2", "'+49 30 1234", see `export.cells`) is removed again;
    another file's quotes are its own and are kept."""

    def __init__(self, mapping: ColumnMapping) -> None:
        self.header = mapping.header
        self.width = len(mapping.header)
        self.mapped = list(mapping.mapped.items())
        self.custom = mapping.custom_columns
        self.column_of = {t: mapping.header[idx[0]] for t, idx in self.mapped}
        self.unquote = mapping.preset == ACCORD.name

    def read(
        self, row: int, cells: list[str]
    ) -> tuple[dict[str, str], dict[str, str], RowError | None]:
        if len(cells) != self.width:
            problem = RowError(
                row, "", "", f"The row has {len(cells)} cells; the header has {self.width}."
            )
            return {}, {}, problem
        values: dict[str, str] = {}
        for target, indexes in self.mapped:
            for i in indexes:
                text = cells[i].strip()
                if text:
                    values[target] = unneutralise(text) if self.unquote and text[0] == "'" else text
                    break
        custom: dict[str, str] = {}
        for i, name in self.custom:
            text = cells[i].strip()
            if text:
                custom[name] = unneutralise(text) if self.unquote and text[0] == "'" else text
        return values, custom, None
