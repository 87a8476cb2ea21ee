"""Forms of the web shell: sign-in, list filters and the small write forms on detail pages.

Forms only parse and validate input; writes go through the services, whose `ValidationFailed`
messages are copied back onto the form with `add_service_errors`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from accord.core.channels import Channel
from accord.core.cleaning import MAX_ID
from accord.core.errors import AccordError
from accord.core.periods import OUT_OF_RANGE, in_range
from accord.crm.models import ActivityKind, DealOutcome, LifecycleStage, PipelineStage
from accord.crm.segments import SEGMENTS
from accord.crm.selectors import BREAKDOWNS
from accord.identity.actor import Source
from accord.identity.models import User
from accord.marketing.models import CampaignType

type Choices = list[tuple[str, str]]


class EmailAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, with the username field presented as an email address."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.label = "Email"
        field.widget = forms.EmailInput(
            attrs={"autofocus": True, "autocomplete": "email", "placeholder": "you@company.com"}
        )


def _in_range(value: dt.date | dt.datetime) -> None:
    if not in_range(value):
        raise ValidationError(OUT_OF_RANGE[0].upper() + OUT_OF_RANGE[1:] + ".", code="range")


def _instant() -> forms.DateTimeField:
    """A drill-down's bound (hidden): an instant with its offset, within the dates Accord
    reports on (beyond them the database's UTC conversion would overflow)."""
    return forms.DateTimeField(required=False, widget=forms.HiddenInput, validators=[_in_range])


def day_field(label: str, widget: forms.Widget) -> forms.DateField:
    return forms.DateField(required=False, label=label, widget=widget, validators=[_in_range])


def stage_choices(stages: Iterable[LifecycleStage], blank: str | None) -> Choices:
    choices = [(s.key, s.label) for s in stages]
    return [("", blank), *choices] if blank is not None else choices


def owner_choices(users: Iterable[User]) -> Choices:
    return [("", "Any owner"), *((str(u.pk), u.display_name) for u in users)]


def _with_blank(choices: Sequence[tuple[str, str]], blank: str) -> Choices:
    return [("", blank), *choices]


def _country() -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=2,
        validators=[RegexValidator(r"^[A-Za-z]{2}$", "Use a two-letter country code, e.g. DE.")],
        widget=forms.TextInput(attrs={"placeholder": "e.g. DE", "size": 6}),
        label="Country",
    )


class FilterForm(forms.Form):
    """A GET form of list filters. Fields are all optional; a value that does not validate is
    ignored (and reported through `ignored`) rather than failing the page."""

    def values(self) -> dict[str, Any]:
        self.is_valid()
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value not in (None, "") and name not in self.errors
        }

    @property
    def ignored(self) -> list[str]:
        self.is_valid()
        return [
            f"{self.fields[name].label or name} “{self.data.get(name, '')}”"
            for name in self.errors
            if name in self.fields
        ]

    @property
    def active_count(self) -> int:
        return sum(1 for name in self.values() if not self.fields[name].widget.is_hidden)


def _search(placeholder: str) -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.SearchInput(attrs={"placeholder": placeholder}),
    )


class ContactFilterForm(FilterForm):
    q = _search("Name, email or company")
    lifecycle_stage = forms.ChoiceField(required=False, label="Lifecycle stage")
    owner = forms.TypedChoiceField(required=False, coerce=int, label="Owner")
    source = forms.ChoiceField(
        required=False, choices=_with_blank(Channel.choices, "Any source"), label="Source"
    )
    country = _country()
    company = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )
    # Drill-downs from the dashboard's funnel (hidden; described in a banner above the list).
    reached = forms.SlugField(required=False, widget=forms.HiddenInput)
    moved_to = forms.SlugField(required=False, widget=forms.HiddenInput)
    created_after = _instant()
    created_before = _instant()
    moved_after = _instant()
    moved_before = _instant()
    # One row of the funnel's breakdown: its value, absent for the row without one.
    breakdown = forms.ChoiceField(
        required=False, choices=[("", ""), *((b, b) for b in BREAKDOWNS)],
        widget=forms.HiddenInput, label="Breakdown",
    )  # fmt: skip
    breakdown_value = forms.CharField(
        required=False, max_length=300, widget=forms.HiddenInput, label="Breakdown value"
    )

    def __init__(
        self, data: Any, *, stages: Iterable[LifecycleStage], users: Iterable[User]
    ) -> None:
        super().__init__(data)
        self.fields["lifecycle_stage"].choices = stage_choices(stages, "Any stage")  # type: ignore[attr-defined]
        self.fields["owner"].choices = owner_choices(users)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        by, value = data.get("breakdown", ""), data.get("breakdown_value", "")
        wrong = (
            by in ("owner", "team") and value and not (value.isascii() and value.isdigit())
        ) or (by == "segment" and value and value not in SEGMENTS)
        if wrong:  # both ignored: the breakdown without its value would mean "without one"
            self.add_error("breakdown", f"'{value}' is not a {by} of this workspace.")
            self.add_error("breakdown_value", f"'{value}' is not a {by} of this workspace.")
        return data


class CompanyFilterForm(FilterForm):
    q = _search("Name or domain")
    industry = forms.ChoiceField(required=False, label="Industry")
    country = _country()
    owner = forms.TypedChoiceField(required=False, coerce=int, label="Owner")

    def __init__(self, data: Any, *, industries: Iterable[str], users: Iterable[User]) -> None:
        super().__init__(data)
        self.fields["industry"].choices = [("", "Any industry"), *((i, i) for i in industries)]  # type: ignore[attr-defined]
        self.fields["owner"].choices = owner_choices(users)  # type: ignore[attr-defined]


class DealFilterForm(FilterForm):
    q = _search("Deal or company")
    status = forms.ChoiceField(
        required=False, choices=_with_blank(DealOutcome.choices, "Any status"), label="Status"
    )
    stage = forms.TypedChoiceField(required=False, coerce=int, label="Stage")
    owner = forms.TypedChoiceField(required=False, coerce=int, label="Owner")
    source = forms.ChoiceField(
        required=False, choices=_with_blank(Channel.choices, "Any source"), label="Source"
    )
    company = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )
    # Drill-downs from the dashboard: the deals behind a number.
    closed_after = _instant()
    closed_before = _instant()
    created_after = _instant()
    created_before = _instant()

    def __init__(
        self, data: Any, *, stages: Iterable[PipelineStage], users: Iterable[User]
    ) -> None:
        super().__init__(data)
        stage_list = list(stages)
        several_pipelines = len({s.pipeline_id for s in stage_list}) > 1
        self.fields["stage"].choices = [  # type: ignore[attr-defined]
            ("", "Any stage"),
            *(
                (str(s.pk), f"{s.pipeline.name}: {s.label}" if several_pipelines else s.label)
                for s in stage_list
            ),
        ]
        self.fields["owner"].choices = owner_choices(users)  # type: ignore[attr-defined]


class CampaignFilterForm(FilterForm):
    q = _search("Campaign name")
    channel = forms.ChoiceField(
        required=False, choices=_with_blank(Channel.choices, "Any channel"), label="Channel"
    )
    type = forms.ChoiceField(
        required=False, choices=_with_blank(CampaignType.choices, "Any type"), label="Type"
    )


class LedgerFilterForm(FilterForm):
    to_stage = forms.ChoiceField(required=False, label="Entered stage")
    source = forms.ChoiceField(
        required=False,
        choices=[("", "Any source"), *((s.value, s.value.upper()) for s in Source)],
        label="Source",
    )
    contact = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )

    def __init__(self, data: Any, *, stages: Iterable[LifecycleStage]) -> None:
        super().__init__(data)
        self.fields["to_stage"].choices = stage_choices(stages, "Any stage")  # type: ignore[attr-defined]


class ServiceForm(forms.Form):
    """A form whose values a service validates again; the service's errors land on it."""

    def add_service_errors(self, error: AccordError) -> None:
        """Put each field message on its field; when none of the fields is on this form,
        show the error's summary message above the form instead."""
        placed = False
        for field, messages in error.fields.items():
            name = field if field in self.fields else field.removesuffix("_id")
            if name not in self.fields:
                continue  # a field the user cannot see: the summary explains it
            for message in messages:
                self.add_error(name, message)
            placed = True
        if not placed:
            self.add_error(None, error.message)


class LifecycleChangeForm(ServiceForm):
    to_stage = forms.ChoiceField(label="Move to stage")
    reason = forms.CharField(
        required=False,
        max_length=500,
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Why is this contact moving?"}),
    )

    def __init__(
        self, data: Any = None, *, stages: Iterable[LifecycleStage], current: str = ""
    ) -> None:
        super().__init__(data, initial={"to_stage": current})
        self.fields["to_stage"].choices = stage_choices(stages, None)  # type: ignore[attr-defined]


class ActivityForm(ServiceForm):
    kind = forms.ChoiceField(choices=ActivityKind.choices, label="Type")
    subject = forms.CharField(required=False, max_length=200, label="Subject")
    body = forms.CharField(
        required=False,
        max_length=20_000,
        label="Notes",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What happened?"}),
    )
    # Shown after the buyer's contact cap warned: log anyway, recorded as a violation.
    confirm_cap = forms.BooleanField(required=False, label="Log it anyway")


class WorkspaceSwitchForm(forms.Form):
    workspace_id = forms.IntegerField(min_value=1, max_value=MAX_ID)
