"""Shared mechanics of the list pages: sorting by whitelisted columns, pagination, and
answering htmx requests with just the results partial."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.paginator import Paginator
from django.db.models import F, Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from accord.web.forms import FilterForm

PAGE_SIZE = 50
RESULTS_TARGET = "results"  # id of the element an htmx request refreshes


def sort_queryset[M: Model](
    queryset: QuerySet[M],
    requested: str,
    columns: Mapping[str, tuple[str, ...]],
    default: str,
) -> tuple[QuerySet[M], str]:
    """Order by a whitelisted column; `-column` sorts descending. Unknown keys use `default`.

    Empty values sort last either way; the primary key is always the last ordering field, so
    pages are stable.
    """
    key = requested if requested.lstrip("-") in columns else default
    descending = key.startswith("-")
    ordering = [
        F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
        for field in columns[key.lstrip("-")]
    ]
    return queryset.order_by(*ordering, "-pk" if descending else "pk"), key


def wants_results_only(request: HttpRequest) -> bool:
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Target") == RESULTS_TARGET
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render_list(
    request: HttpRequest,
    *,
    template: str,
    form: FilterForm,
    queryset: QuerySet[Any],
    columns: Mapping[str, tuple[str, ...]],
    default_sort: str,
    context: Mapping[str, Any] | None = None,
) -> HttpResponse:
    ordered, sort = sort_queryset(queryset, request.GET.get("sort", ""), columns, default_sort)
    page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
    full_context = {
        "form": form,
        "page_obj": page,
        "rows": page.object_list,
        "sort": sort,
        "ignored_filters": form.ignored,
        "results_target": RESULTS_TARGET,
        **(context or {}),
    }
    name = f"{template}#results" if wants_results_only(request) else template
    response = render(request, name, full_context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response
