"""`{% export_url "contacts" "csv" %}`: the export link of a list page with the filters the page
shows right now (the request's query string without paging and sorting)."""

from __future__ import annotations

from django import template
from django.template.context import Context
from django.urls import reverse

register = template.Library()

_NOT_FILTERS = ("page", "sort", "format")


@register.simple_tag(takes_context=True)
def export_url(context: Context, list_name: str, file_format: str) -> str:
    request = context["request"]
    params = request.GET.copy()
    for name in _NOT_FILTERS:
        params.pop(name, None)
    params["format"] = file_format
    return f"{reverse('exports:list', args=[list_name])}?{params.urlencode()}"
