"""Shared mechanics of the list pages: sorting by whitelisted columns, pagination, and
answering htmx requests with just the results partial."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db.models import F, Model, OrderBy, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from accord.web.forms import FilterForm

PAGE_SIZE = 50
RESULTS_TARGET = "results"  # id of the element an htmx request refreshes


def may_be_null(model: type[Model], path: str) -> bool:
    """Whether `path` (`field` or `relation__field`) can be NULL in a row of `model`: the field
    allows it, or a nullable relation on the way is a LEFT JOIN. Unknown names (annotations)
    are assumed to allow it."""
    current = model
    parts = path.split("__")
    for index, part in enumerate(parts):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return True
        if getattr(field, "null", False):
            return True
        if index < len(parts) - 1:
            related = field.related_model
            if related is None or isinstance(related, str):
                return True
            current = related
    return False


def _order(model: type[Model], field: str, descending: bool) -> OrderBy:
    # NULLS LAST only where a NULL can occur: on a NOT NULL column it changes no order but
    # keeps PostgreSQL from reading a (workspace, column) index in order, so every page would
    # sort the whole table.
    if may_be_null(model, field):
        return F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    return F(field).desc() if descending else F(field).asc()


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
    ordering = [_order(queryset.model, field, descending) for field in columns[key.lstrip("-")]]
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
