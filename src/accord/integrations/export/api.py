"""Export endpoints: GET /api/v1/exports/{list}?format=csv|parquet&<the list's filters>."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from ninja import Router

from accord.api.auth import request_actor
from accord.integrations.export.columns import EXPORT_TYPES
from accord.integrations.export.service import export_rows, iter_csv, parse_filters, write_parquet

router = Router(tags=["exports"])

_RESERVED = {"format"}


@router.get(
    "/exports/{list_name}",
    response={200: None},
    summary="Export a list to CSV or Parquet",
    description=(
        f"`list_name` is one of {', '.join(EXPORT_TYPES)}. Filters are the list's own query "
        "parameters (for example `lifecycle_stage=mql&owner_id=3` for contacts). `format` is "
        "`csv` (default) or `parquet`. CSV cells that a spreadsheet would run as a formula are "
        "prefixed with a single quote."
    ),
)
def export_list(
    request: HttpRequest, list_name: str, format: str = "csv"
) -> StreamingHttpResponse | FileResponse:
    from accord.core.errors import ValidationFailed

    if format not in ("csv", "parquet"):
        raise ValidationFailed.single("format", "Use csv or parquet.")
    actor = request_actor(request)
    params = {k: str(v) for k, v in request.GET.items() if k not in _RESERVED}
    filters = parse_filters(list_name, params)
    header, rows = export_rows(actor, list_name, filters)
    if format == "csv":
        response = StreamingHttpResponse(iter_csv(header, rows), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{list_name}.csv"'
        return response
    handle = tempfile.NamedTemporaryFile(suffix=".parquet", delete=False)  # noqa: SIM115
    handle.close()
    path = Path(handle.name)
    write_parquet(path, header, rows)
    stream = path.open("rb")
    path.unlink()  # the open handle keeps the data until the response is sent
    return FileResponse(
        stream,
        as_attachment=True,
        filename=f"{list_name}.parquet",
        content_type="application/vnd.apache.parquet",
    )
