"""Forms of the web import flow: the upload form and the column mapping of the preview.

They parse input only; `accord.integrations.imports` validates again and writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from accord.core.errors import AccordError
from accord.integrations.importing.mapping import CUSTOM_PREFIX, ColumnMapping
from accord.integrations.importing.presets import PRESETS
from accord.integrations.importing.targets import RECORD_TYPES, REQUIRED, TARGETS
from accord.integrations.mappings import NAME_MAX
from accord.integrations.models import ImportMode, OnMatch, SavedMapping

RECORD_TYPE_LABELS = {
    "contacts": "Contacts",
    "companies": "Companies",
    "deals": "Deals",
    "activities": "Activities",
    "campaigns": "Campaigns",
    "touchpoints": "Touchpoints",
}
CUSTOM_CHOICE = ""  # the select value for "keep as a custom field"


# Service field names that a form shows under another name.
_FIELD_ALIASES = {"name": "save_as", "type": "record_type"}


def _place_errors(form: forms.Form, error: AccordError) -> None:
    """Each field message on its field; the summary on the form when no field is on it."""
    placed = False
    for service_name, messages in error.fields.items():
        name = (
            service_name
            if service_name in form.fields
            else _FIELD_ALIASES.get(service_name, service_name)
        )
        if name in form.fields:
            for message in messages:
                form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


class UploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text="CSV (comma, semicolon or tab; UTF-8 or Windows-1252) or Excel XLSX.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,.xlsx"}),
    )
    record_type = forms.ChoiceField(
        label="Import as",
        choices=[(t, RECORD_TYPE_LABELS.get(t, t)) for t in RECORD_TYPES],
        initial="contacts",
    )
    mapping = forms.ChoiceField(label="Column mapping", required=False)
    mode = forms.ChoiceField(
        label="If some rows have errors",
        choices=[
            (ImportMode.ALL_OR_NOTHING, "Import nothing (all or nothing)"),
            (ImportMode.VALID_ROWS, "Import the valid rows, report the others"),
        ],
        initial=ImportMode.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )
    on_match = forms.ChoiceField(
        label="When a record already exists",
        choices=[
            (OnMatch.SKIP, "Skip it (leave it unchanged)"),
            (OnMatch.FILL_EMPTY, "Fill its empty fields"),
            (OnMatch.OVERWRITE, "Overwrite it with the file's values"),
        ],
        initial=OnMatch.SKIP,
        widget=forms.RadioSelect,
    )
    date_order = forms.ChoiceField(
        label="Dates like 03/04/2025",
        required=False,
        choices=[
            ("", "Detect from the file's dates (recommended)"),
            ("dmy", "Day first (03/04/2025 is 3 April)"),
            ("mdy", "Month first (03/04/2025 is 4 March)"),
        ],
    )

    def __init__(self, *args: Any, saved: Iterable[SavedMapping] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        saved_choices = [
            (m.name, f"{m.name} ({RECORD_TYPE_LABELS.get(m.record_type, m.record_type)})")
            for m in saved
        ]
        choices: list[Any] = [
            ("", "Detect from the header (recommended)"),
            ("Presets", [(p.name, p.label) for p in PRESETS.values()]),
        ]
        if saved_choices:
            choices.append(("Saved mappings", saved_choices))
        self.fields["mapping"].choices = choices  # type: ignore[attr-defined]

    add_service_errors = _place_errors


def target_choices(record_type: str) -> list[tuple[str, str]]:
    required = REQUIRED[record_type]
    return [
        (CUSTOM_CHOICE, "Keep as custom field"),
        *(
            (t.name, f"{t.label} (required)" if t.name in required else t.label)
            for t in TARGETS[record_type]
        ),
    ]


def column_field_name(index: int) -> str:
    return f"column_{index}"


class MappingForm(forms.Form):
    """One select per file column (the proposed target preselected), and a name to save the
    mapping under."""

    save_as = forms.CharField(
        label="Save this mapping as…",
        required=False,
        max_length=NAME_MAX,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Trade show leads (optional)"}),
    )

    def __init__(self, data: Any = None, *, mapping: ColumnMapping, save_as: str = "") -> None:
        super().__init__(data, initial={"save_as": save_as})
        self.header = mapping.header
        choices = target_choices(mapping.record_type)
        for index, (column, target) in enumerate(zip(mapping.header, mapping.targets, strict=True)):
            self.fields[column_field_name(index)] = forms.ChoiceField(
                label=column,
                choices=choices,
                required=False,
                initial=CUSTOM_CHOICE if target.startswith(CUSTOM_PREFIX) else target,
                widget=forms.Select(attrs={"class": "mapping-select"}),
            )

    def column_fields(self) -> list[forms.BoundField]:
        return [self[column_field_name(i)] for i in range(len(self.header))]

    def columns(self) -> dict[str, str]:
        """header -> target, "" for a custom field. Call after is_valid()."""
        return {
            column: self.cleaned_data.get(column_field_name(i)) or CUSTOM_CHOICE
            for i, column in enumerate(self.header)
        }

    add_service_errors = _place_errors
