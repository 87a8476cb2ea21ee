"""Web forms of the integrations pages. They only parse input; the services validate it."""

from __future__ import annotations

from typing import Any

from django import forms

from accord.core.errors import ValidationFailed
from accord.core.events import EVENT_NAMES
from accord.integrations.models import WebhookKind

ALL_EVENTS = "*"


class WebhookForm(forms.Form):
    url = forms.CharField(
        label="Receiver URL",
        max_length=2000,
        widget=forms.TextInput(
            attrs={"placeholder": "https://example.com/hooks/accord", "inputmode": "url"}
        ),
    )
    kind = forms.ChoiceField(label="Kind", choices=WebhookKind.choices, initial=WebhookKind.GENERIC)
    description = forms.CharField(label="Description", max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label="Events",
        choices=[
            (ALL_EVENTS, "Every event (*)"),
            *((n, f"{n} — {d}") for n, d in EVENT_NAMES.items()),
        ],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "url": data["url"],
            "kind": data["kind"],
            "description": data.get("description", ""),
            "events": list(data["events"]),
        }

    def add_service_errors(self, exc: ValidationFailed) -> None:
        for name, messages in (exc.fields or {"__all__": [exc.message]}).items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class IntegrationKeyForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=120,
        widget=forms.TextInput(attrs={"placeholder": "e.g. HubSpot forms"}),
    )
    require_signature = forms.BooleanField(
        label="Require signed requests (X-Accord-Signature)", required=False
    )
