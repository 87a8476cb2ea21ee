"""Creating and editing companies, contacts and deals from the web, and the suggestions of the
company and contact pickers on those forms.

Every write goes through the record services with the member as the actor; a form that does
not validate, here or in the service, is shown again with its messages and nothing saved.
Viewers get 403 on these pages (GET and POST); a marketer's deal form leaves out the deal's
amount, pipeline, stage and close reason, which are sales' to set (the service refuses them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.crm.models import Company, Contact, Deal
from accord.crm.selectors import (
    CompanyFilters,
    ContactFilters,
    company_get,
    company_industries,
    company_list,
    contact_get,
    contact_list,
    deal_get,
    pipeline_stages,
)
from accord.crm.services import companies, contacts, deals
from accord.identity.actor import Actor
from accord.identity.models import Membership, Role
from accord.identity.permissions import Action
from accord.identity.selectors import workspace_users
from accord.web.record_forms import (
    OPTION_LIMIT,
    CompanyForm,
    ContactForm,
    DealForm,
    RecordForm,
    company_label,
    search_text,
)
from accord.web.views.access import member_view, web_actor


def may_set_sales_terms(actor: Actor) -> bool:
    """Whether the member may set a deal's amount, stage or close: everyone who writes records
    but marketers (the rule of `crm.services.deals.SALES_ONLY_FIELDS`)."""
    return actor.can(Action.WRITE_RECORDS) and actor.role != Role.MARKETER


def _writer(membership: Membership) -> Actor:
    """The member's actor, if they may create and edit records (else a 403 page)."""
    actor = web_actor(membership)
    actor.require(Action.WRITE_RECORDS)
    return actor


def _data(request: HttpRequest) -> QueryDict | None:
    return request.POST if request.method == "POST" else None


def _save_or_show[R: Model](
    request: HttpRequest,
    form: RecordForm,
    *,
    save: Callable[[dict[str, Any]], R],
    done: Callable[[R], str],
    detail: str,
    template: str,
    context: dict[str, Any],
) -> HttpResponse:
    """Save a valid posted form through `save` and go to the record's page with `done`'s
    message; otherwise show the form (400 with its errors after a post)."""
    if form.is_bound and form.is_valid():
        try:
            record = save(form.values())
        except (ValidationFailed, Conflict) as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, done(record))
            return redirect(detail, pk=record.pk)
    status = 400 if form.is_bound else 200
    return render(request, template, {**context, "form": form}, status=status)


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if (value.isascii() and value.isdigit()) and 0 < int(value) < 2**63 else None


def _prefill_company(request: HttpRequest, membership: Membership) -> Company | None:
    """The company named by `?company=<id>` (the "New contact" link on a company's page)."""
    pk = _int_param(request, "company")
    try:
        return company_get(membership.workspace, pk) if pk else None
    except NotFound:
        return None


def _prefill_contact(request: HttpRequest, membership: Membership) -> Contact | None:
    pk = _int_param(request, "contact")
    try:
        return contact_get(membership.workspace, pk) if pk else None
    except NotFound:
        return None


# Companies -----------------------------------------------------------------------------------


def _company_page(
    request: HttpRequest, membership: Membership, actor: Actor, company: Company | None
) -> HttpResponse:
    workspace = membership.workspace
    initial = CompanyForm.initial_of(company) if company else {"owner": str(membership.user_id)}
    form = CompanyForm(
        _data(request), workspace=workspace, users=workspace_users(workspace), initial=initial
    )

    def save(values: dict[str, Any]) -> Company:
        if company is None:
            return companies.company_create(actor=actor, values=values)
        return companies.company_update(actor=actor, company_id=company.pk, values=values)

    return _save_or_show(
        request,
        form,
        save=save,
        done=lambda c: f"Company {'created' if company is None else 'saved'}: {c.name}.",
        detail="web:company",
        template="web/companies/form.html",
        context={"company": company, "industries": company_industries(workspace)},
    )


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.WRITE_RECORDS)
def company_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _company_page(request, membership, _writer(membership), None)


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.WRITE_RECORDS)
def company_edit(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    actor = _writer(membership)
    return _company_page(request, membership, actor, company_get(membership.workspace, pk))


# Contacts ------------------------------------------------------------------------------------


def _contact_page(
    request: HttpRequest, membership: Membership, actor: Actor, contact: Contact | None
) -> HttpResponse:
    workspace = membership.workspace
    if contact is not None:
        initial = ContactForm.initial_of(contact)
    else:
        company = _prefill_company(request, membership)
        initial = {
            "owner": str(membership.user_id),
            "company": company_label(company) if company else "",
            "country": company.country if company else "",
        }
    form = ContactForm(
        _data(request), workspace=workspace, users=workspace_users(workspace), initial=initial
    )

    def save(values: dict[str, Any]) -> Contact:
        if contact is None:
            return contacts.contact_create(actor=actor, values=values)
        return contacts.contact_update(actor=actor, contact_id=contact.pk, values=values)

    return _save_or_show(
        request,
        form,
        save=save,
        done=lambda c: f"Contact {'created' if contact is None else 'saved'}: {c}.",
        detail="web:contact",
        template="web/contacts/form.html",
        context={"contact": contact},
    )


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.WRITE_RECORDS)
def contact_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _contact_page(request, membership, _writer(membership), None)


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.WRITE_RECORDS)
def contact_edit(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    actor = _writer(membership)
    return _contact_page(request, membership, actor, contact_get(membership.workspace, pk))


# Deals ---------------------------------------------------------------------------------------


def _new_deal_initial(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    """A new deal: owned by its creator, in the workspace's currency, at the first stage of the
    default pipeline; with the company and contact of the page it was started from."""
    workspace = membership.workspace
    contact = _prefill_contact(request, membership)
    company = _prefill_company(request, membership) or (contact.company if contact else None)
    stages = list(pipeline_stages(workspace))
    first = min(
        stages,
        key=lambda s: (not s.pipeline.is_default, s.pipeline.name, s.pipeline_id, s.position),
        default=None,
    )
    return {
        "owner": str(membership.user_id),
        "currency": workspace.default_currency,
        "pipeline": str(first.pipeline_id) if first else "",
        "stage": str(first.pk) if first else "",
        "company": company_label(company) if company else "",
        "primary_contact": contact.email if contact else "",
        "name": f"{company.name} deal" if company else "",
    }


def _deal_page(
    request: HttpRequest, membership: Membership, actor: Actor, deal: Deal | None
) -> HttpResponse:
    workspace = membership.workspace
    may_set_terms = may_set_sales_terms(actor)
    form = DealForm(
        _data(request),
        workspace=workspace,
        users=workspace_users(workspace),
        stages=pipeline_stages(workspace),
        may_set_terms=may_set_terms,
        initial=DealForm.initial_of(deal) if deal else _new_deal_initial(request, membership),
    )

    def save(values: dict[str, Any]) -> Deal:
        if deal is None:
            return deals.deal_create(actor=actor, values=values)
        return deals.deal_update(actor=actor, deal_id=deal.pk, values=values)

    return _save_or_show(
        request,
        form,
        save=save,
        done=lambda d: f"Deal {'created' if deal is None else 'saved'}: {d.name}.",
        detail="web:deal",
        template="web/deals/form.html",
        context={"deal": deal, "may_set_terms": may_set_terms},
    )


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.WRITE_RECORDS)
def deal_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _deal_page(request, membership, _writer(membership), None)


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.WRITE_RECORDS)
def deal_edit(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    actor = _writer(membership)
    return _deal_page(request, membership, actor, deal_get(membership.workspace, pk))


# Picker suggestions --------------------------------------------------------------------------


@require_GET
@member_view()
def company_options(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Up to OPTION_LIMIT companies whose name or domain contains `?q=` (or the picker's own
    `company` value), as <option>s for a datalist."""
    text = search_text(request.GET.get("q") or request.GET.get("company") or "")
    rows = company_list(membership.workspace, CompanyFilters(q=text)).order_by("name", "pk")
    return render(
        request,
        "web/companies/options.html",
        {"options": [(company_label(c), c.industry) for c in rows[:OPTION_LIMIT]]},
    )


@require_GET
@member_view()
def contact_options(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Up to OPTION_LIMIT contacts matching `?q=` (or the picker's `primary_contact` value) by
    name, email or company, newest first, as <option>s with the email as the value."""
    text = search_text(request.GET.get("q") or request.GET.get("primary_contact") or "")
    rows = contact_list(membership.workspace, ContactFilters(q=text)).order_by("-created_at", "-pk")
    return render(
        request,
        "web/contacts/options.html",
        {
            "options": [
                (c.email, f"{c}{f' · {c.company.name}' if c.company else ''}")
                for c in rows[:OPTION_LIMIT]
            ]
        },
    )
