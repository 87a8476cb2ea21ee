"""The new and edit forms of companies, contacts and deals, and the deal page's stage form.

Like the other forms of the web shell they only parse input: the services clean every value
again, and their `ValidationFailed` messages land on the fields (`add_service_errors`). Field
names are the services' without `_id` (`company` for `company_id`), so those messages find
their field.

A company or a contact is picked by text, so the forms stay usable with any number of them: a
company by its name, its domain or the suggestion's "Name (domain)" / "Name (#id)"; a contact
by email. The suggestions come from the options pages (`records.company_options`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from accord.core.channels import Channel
from accord.core.cleaning import MAX_ID
from accord.crm.models import Company, Contact, Deal, PipelineStage
from accord.crm.selectors import company_list, contact_list
from accord.crm.services.deals import SALES_ONLY_FIELDS
from accord.identity.models import User, Workspace
from accord.web.forms import ServiceForm

type Choices = list[tuple[str, str]]

OPTION_LIMIT = 20  # suggestions per keystroke in a company or contact picker
# A suggestion's text: "Name (domain)" or "Name (#id)" for a company without a domain.
_LABELLED = re.compile(r"^(?P<name>.*\S)\s+\((?P<ref>[^()]+)\)$")


def company_label(company: Company) -> str:
    """The text a company is shown and picked by in a form."""
    return f"{company.name} ({company.domain or f'#{company.pk}'})"


def search_text(text: str) -> str:
    """What a picker's text searches for: a suggestion's name without its "(domain)"."""
    text = text.strip()[:200]
    labelled = _LABELLED.match(text)
    return labelled["name"] if labelled else text


def find_company(workspace: Workspace, text: str) -> int | None:
    """The id of the company `text` names (blank: none). Tried in turn: a suggestion's
    "Name (domain)" or "Name (#id)", a domain, an exact name, the name in any case."""
    text = text.strip()
    if not text:
        return None
    companies = company_list(workspace)
    if labelled := _LABELLED.match(text):
        ref = labelled["ref"].strip()
        if ref.startswith("#") and (ref[1:].isascii() and ref[1:].isdigit()):
            found = companies.filter(pk=int(ref[1:])) if int(ref[1:]) <= MAX_ID else None
        else:
            found = companies.filter(domain=ref.lower())
        pk = found.values_list("pk", flat=True).first() if found is not None else None
        if pk is not None:
            return int(pk)
    for candidates in (
        companies.filter(domain=text.lower()),
        companies.filter(name=text),
        companies.filter(name__iexact=text),
    ):
        ids = list(candidates.values_list("pk", flat=True)[:2])
        if len(ids) == 1:
            return int(ids[0])
        if len(ids) > 1:
            raise ValidationError(
                f"Several companies are called “{text}”: pick one from the suggestions or "
                "type its domain.",
                code="ambiguous",
            )
    raise ValidationError(
        f"No company “{text}” in this workspace: pick one from the suggestions, type its name "
        "or domain, or create the company first.",
        code="unknown",
    )


def find_contact(workspace: Workspace, text: str) -> int | None:
    """The id of the contact with the email `text` (blank: none)."""
    email = text.strip().lower()
    if not email:
        return None
    pk = contact_list(workspace).filter(email=email).values_list("pk", flat=True).first()
    if pk is None:
        raise ValidationError(
            f"No contact with the email “{text.strip()}” in this workspace.", code="unknown"
        )
    return int(pk)


def _picker(url_name: str, options_id: str, placeholder: str) -> forms.TextInput:
    """A text input that asks the options page for suggestions as one types (htmx) and shows
    them from a datalist; without scripts, the typed text is matched on save."""
    return forms.TextInput(
        attrs={
            "list": options_id,
            "autocomplete": "off",
            "placeholder": placeholder,
            "hx-get": reverse(url_name),
            "hx-trigger": "input changed delay:250ms, focus once",
            "hx-target": f"#{options_id}",
            "hx-swap": "innerHTML",
        }
    )


def _text(max_length: int, label: str, *, required: bool = False, **attrs: Any) -> forms.CharField:
    return forms.CharField(
        required=required,
        max_length=max_length,
        label=label,
        widget=forms.TextInput(attrs=attrs) if attrs else None,
    )


def _owner_choices(users: Iterable[User]) -> Choices:
    return [("", "Unassigned"), *((str(u.pk), u.display_name) for u in users)]


class RecordForm(ServiceForm):
    """A form whose fields map one to one onto a service's values."""

    service_names: ClassVar[dict[str, str]] = {}  # form field -> service field, where they differ

    def __init__(
        self, data: Any = None, *, workspace: Workspace, users: Iterable[User], **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.workspace = workspace
        if "owner" in self.fields:
            choices = _owner_choices(users)
            # A record's owner who has since left the workspace stays a choice, so saving
            # another field does not clear the owner without a word.
            current = str((kwargs.get("initial") or {}).get("owner") or "")
            if current and current not in {value for value, _ in choices}:
                former = User.objects.filter(pk=int(current)).first()
                if former is not None:
                    choices.append((current, f"{former.display_name} (no longer a member)"))
            self.fields["owner"].choices = choices  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        """The cleaned values under the service's names (blank clears a field)."""
        return {
            self.service_names.get(name, name): value for name, value in self.cleaned_data.items()
        }


class CompanyForm(RecordForm):
    service_names: ClassVar[dict[str, str]] = {"owner": "owner_id"}

    name = _text(200, "Name", required=True, autofocus=True)
    domain = _text(253, "Domain or website", placeholder="e.g. initech.com")
    industry = _text(100, "Industry", list="industry-options")
    employee_count = forms.CharField(
        required=False,
        max_length=12,
        label="Employees",
        widget=forms.NumberInput(attrs={"min": 0, "step": 1}),
    )
    country = _text(2, "Country", placeholder="Two letters, e.g. DE", size=6)
    owner = forms.ChoiceField(required=False, label="Owner")

    @staticmethod
    def initial_of(company: Company) -> dict[str, Any]:
        return {
            "name": company.name,
            "domain": company.domain,
            "industry": company.industry,
            "employee_count": company.employee_count,
            "country": company.country,
            "owner": str(company.owner_id or ""),
        }


class ContactForm(RecordForm):
    service_names: ClassVar[dict[str, str]] = {"owner": "owner_id", "company": "company_id"}

    first_name = _text(100, "First name", autofocus=True)
    last_name = _text(100, "Last name")
    email = forms.CharField(
        max_length=254, label="Email", widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    phone = _text(40, "Phone")
    title = _text(150, "Job title")
    company = forms.CharField(required=False, max_length=300, label="Company")
    country = _text(2, "Country", placeholder="Two letters, e.g. DE", size=6)
    owner = forms.ChoiceField(required=False, label="Owner")
    original_source = forms.ChoiceField(
        required=False,
        choices=[("", "—"), *Channel.choices],
        label="Original source",
    )

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["company"].widget = _picker(
            "web:company_options", "company-options", "Name or domain"
        )

    def clean_company(self) -> int | None:
        return find_company(self.workspace, self.cleaned_data.get("company", ""))

    @staticmethod
    def initial_of(contact: Contact) -> dict[str, Any]:
        return {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "email": contact.email,
            "phone": contact.phone,
            "title": contact.title,
            "company": company_label(contact.company) if contact.company else "",
            "country": contact.country,
            "owner": str(contact.owner_id or ""),
            "original_source": contact.original_source,
        }


def stage_choices(stages: Iterable[PipelineStage]) -> list[tuple[str, Any]]:
    """Stages grouped by pipeline (one group per pipeline, in order)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for stage in stages:
        groups.setdefault(stage.pipeline.name, []).append((str(stage.pk), stage.label))
    if len(groups) == 1:
        return list(next(iter(groups.values())))
    return list(groups.items())


class DealForm(RecordForm):
    service_names: ClassVar[dict[str, str]] = {
        "owner": "owner_id",
        "company": "company_id",
        "primary_contact": "primary_contact_id",
        "pipeline": "pipeline_id",
        "stage": "stage_id",
    }
    name = _text(200, "Deal name", required=True, autofocus=True)
    company = forms.CharField(required=False, max_length=300, label="Company")
    primary_contact = forms.CharField(required=False, max_length=254, label="Primary contact")
    owner = forms.ChoiceField(required=False, label="Owner")
    source = forms.ChoiceField(
        required=False, choices=[("", "—"), *Channel.choices], label="Source"
    )
    pipeline = forms.ChoiceField(label="Pipeline")
    stage = forms.ChoiceField(label="Stage")
    amount = forms.CharField(
        required=False,
        max_length=20,
        label="Amount",
        widget=forms.NumberInput(attrs={"min": 0, "step": "0.01"}),
    )
    # Longer than a code, so that the service says what a currency code is ("EURO").
    currency = _text(10, "Currency", placeholder="e.g. EUR", size=5)
    expected_close_date = forms.CharField(
        required=False,
        max_length=10,
        label="Expected close date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    close_reason = _text(300, "Close reason", placeholder="Why it was won or lost")

    def __init__(
        self,
        data: Any = None,
        *,
        stages: Iterable[PipelineStage],
        may_set_terms: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.posted_terms: dict[str, Any] = {}
        self.fields["company"].widget = _picker(
            "web:company_options", "company-options", "Name or domain"
        )
        self.fields["primary_contact"].widget = _picker(
            "web:contact_options", "contact-options", "Email"
        )
        if not may_set_terms:
            # Sales' terms (SALES_ONLY_FIELDS) are left off a marketer's form. Any posted anyway
            # go to the service as they are, so that it refuses them rather than they vanish.
            terms = [n for n in self.fields if self.service_names.get(n, n) in SALES_ONLY_FIELDS]
            for name in terms:
                del self.fields[name]
            self.posted_terms = {
                self.service_names.get(n, n): data[n] for n in terms if data and data.get(n)
            }
            return
        stage_list = list(stages)
        pipelines = {s.pipeline_id: s.pipeline.name for s in stage_list}
        self.fields["pipeline"].choices = [(str(pk), name) for pk, name in pipelines.items()]  # type: ignore[attr-defined]
        self.fields["stage"].choices = stage_choices(stage_list)  # type: ignore[attr-defined]

    def clean_company(self) -> int | None:
        return find_company(self.workspace, self.cleaned_data.get("company", ""))

    def clean_primary_contact(self) -> int | None:
        return find_contact(self.workspace, self.cleaned_data.get("primary_contact", ""))

    def values(self) -> dict[str, Any]:
        values = {**super().values(), **self.posted_terms}
        if not values.get("currency"):
            values.pop("currency", None)  # the deal keeps its currency (new: the workspace's)
        return values

    @staticmethod
    def initial_of(deal: Deal) -> dict[str, Any]:
        return {
            "name": deal.name,
            "company": company_label(deal.company) if deal.company else "",
            "primary_contact": deal.primary_contact.email if deal.primary_contact else "",
            "owner": str(deal.owner_id or ""),
            "source": deal.source,
            "pipeline": str(deal.pipeline_id),
            "stage": str(deal.stage_id),
            "amount": deal.amount,
            "currency": deal.currency,
            "expected_close_date": deal.expected_close_date,
            "close_reason": deal.close_reason,
        }


class DealStageForm(ServiceForm):
    """Move a deal to another stage of its pipeline; a won or lost stage closes it."""

    stage = forms.ChoiceField(label="Move to stage")
    close_reason = _text(300, "Close reason (optional)", placeholder="Why it was won or lost")

    def __init__(self, data: Any = None, *, deal: Deal, stages: Iterable[PipelineStage]) -> None:
        super().__init__(data, initial={"stage": str(deal.stage_id)})
        self.fields["stage"].choices = [  # type: ignore[attr-defined]
            (str(s.pk), f"{s.label} ({s.get_outcome_display().lower()})" if s.outcome != "open"
             else s.label)
            for s in stages
        ]  # fmt: skip

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {"stage_id": self.cleaned_data["stage"]}
        if self.cleaned_data["close_reason"]:
            values["close_reason"] = self.cleaned_data["close_reason"]
        return values
