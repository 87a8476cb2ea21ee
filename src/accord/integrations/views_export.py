"""Exports from the web list pages: /exports/<list>/?format=csv|parquet&<the page's filters>.

The list pages name their filters for people (`owner`, `source`, `stage`); this view maps those
names to the fields of the list's filter dataclass and exports exactly the rows the page
shows, in CSV (streamed) or Parquet. An invalid filter is a 400 page saying which and why.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accord.core.errors import ValidationFailed
from accord.identity.models import Membership
from accord.integrations.export.service import (
    FORMATS,
    export_rows,
    iter_csv,
    parse_filters,
    write_parquet,
)
from accord.integrations.web_access import member_view, web_actor

# Web page parameter -> filter dataclass field, per list page. Names not listed here are passed
# through unchanged, so the dataclass's own names (created_after, owner_id, ...) work too.
WEB_FILTERS: dict[str, dict[str, str]] = {
    "contacts": {"owner": "owner_id", "source": "original_source", "company": "company_id"},
    "companies": {"owner": "owner_id"},
    "deals": {"owner": "owner_id", "stage": "stage_id", "company": "company_id"},
    "campaigns": {},
    "ledger": {"contact": "contact_id"},
}
NOT_FILTERS = frozenset({"format", "sort", "page"})


def web_filter_params(list_name: str, query: Mapping[str, str]) -> dict[str, str]:
    """The page's query string as filter parameters: renamed, without paging and sorting, and
    without empty values (an empty filter on the page means no filter)."""
    names = WEB_FILTERS.get(list_name, {})
    return {
        names.get(key, key): value.strip()
        for key, value in query.items()
        if key not in NOT_FILTERS and value.strip()
    }


def _bad_request(request: HttpRequest, list_name: str, error: ValidationFailed) -> HttpResponse:
    """The page names the filters as the list page does (`owner`, not `owner_id`)."""
    web_names = {field: web for web, field in WEB_FILTERS.get(list_name, {}).items()}
    fields = {web_names.get(name, name): messages for name, messages in error.fields.items()}
    return render(
        request,
        "integrations/exports/error.html",
        {
            "list_name": list_name,
            "message": error.message,
            "fields": sorted(fields.items()),
            "back_url": reverse(f"web:{list_name}") if list_name in WEB_FILTERS else "/",
        },
        status=400,
    )


@require_GET
@member_view()
def export_list_page(
    request: HttpRequest, membership: Membership, list_name: str
) -> HttpResponseBase:
    file_format = request.GET.get("format", "csv")
    try:
        if file_format not in FORMATS:
            raise ValidationFailed.single("format", "Choose CSV or Parquet.")
        if list_name not in WEB_FILTERS:
            raise ValidationFailed.single(
                "list", f"There is no export of '{list_name}' from the web pages."
            )
        query = {key: request.GET.get(key, "") for key in request.GET}
        filters = parse_filters(list_name, web_filter_params(list_name, query))
        header, rows = export_rows(web_actor(membership), list_name, filters)
    except ValidationFailed as exc:
        return _bad_request(request, list_name, exc)
    stamp = timezone.localdate().isoformat()
    name = f"{list_name}-{membership.workspace.slug}-{stamp}"
    if file_format == "csv":
        response = StreamingHttpResponse(
            iter_csv(header, rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    handle = tempfile.NamedTemporaryFile(suffix=".parquet", delete=False)  # noqa: SIM115
    handle.close()
    path = Path(handle.name)
    try:
        write_parquet(path, header, rows)
        stream = path.open("rb")
    finally:
        path.unlink()  # the open handle keeps the data until the response is sent
    return FileResponse(
        stream,
        as_attachment=True,
        filename=f"{name}.parquet",
        content_type="application/vnd.apache.parquet",
    )
