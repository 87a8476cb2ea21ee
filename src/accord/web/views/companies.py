"""Companies (accounts): the list and the detail page with the company's contacts and deals.
Creating and editing them is in `records`."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accord.crm.selectors import (
    CompanyFilters,
    ContactFilters,
    DealFilters,
    company_get,
    company_industries,
    company_list,
    contact_list,
    deal_list,
)
from accord.identity.models import Membership
from accord.identity.permissions import Action
from accord.identity.selectors import workspace_users
from accord.web.forms import CompanyFilterForm
from accord.web.views.access import member_view, web_actor
from accord.web.views.listing import render_list
from accord.web.views.stages import StageCatalogue

SORT_COLUMNS = {
    "name": ("name",),
    "domain": ("domain",),
    "industry": ("industry",),
    "employees": ("employee_count",),
    "country": ("country",),
    "owner": ("owner__full_name", "owner__email"),
    "created": ("created_at",),
}
RELATED_LIMIT = 50


@require_GET
@member_view()
def company_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    form = CompanyFilterForm(
        request.GET, industries=company_industries(workspace), users=workspace_users(workspace)
    )
    values = form.values()
    filters = CompanyFilters(
        q=values.get("q", ""),
        industry=values.get("industry", ""),
        country=values.get("country", ""),
        owner_id=values.get("owner"),
    )
    return render_list(
        request,
        template="web/companies/list.html",
        form=form,
        queryset=company_list(workspace, filters),
        columns=SORT_COLUMNS,
        default_sort="name",
        context={
            "filtered": bool(values),
            "can_create": web_actor(membership).can(Action.WRITE_RECORDS),
        },
    )


@require_GET
@member_view()
def company_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    workspace = membership.workspace
    company = company_get(workspace, pk)
    contacts = contact_list(workspace, ContactFilters(company_id=company.pk)).order_by(
        "last_name", "first_name", "pk"
    )
    deals = deal_list(workspace, DealFilters(company_id=company.pk)).order_by("-created_at", "-pk")
    return render(
        request,
        "web/companies/detail.html",
        {
            "company": company,
            "contacts": contacts[:RELATED_LIMIT],
            "contact_count": contacts.count(),
            "deals": deals[:RELATED_LIMIT],
            "deal_count": deals.count(),
            "related_limit": RELATED_LIMIT,
            "stage_labels": StageCatalogue.of(workspace).labels,
            "can_edit": web_actor(membership).can(Action.WRITE_RECORDS),
            "custom_fields": sorted(company.custom_fields.items())
            if isinstance(company.custom_fields, dict)
            else [],
        },
    )
