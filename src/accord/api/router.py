"""The REST API at /api/v1: authentication, the error body, OpenAPI, and each context's router.

Endpoints live with their context (``accord.<context>.api``); this module only wires them.
The OpenAPI document is served at /api/v1/openapi.json and browsable at /api/v1/docs.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, cast

from django.http import Http404, HttpRequest
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI, Router
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from accord.alignment.api import router as alignment_router
from accord.api.auth import SessionAuth, TokenAuth
from accord.api.errors import ErrorOut, install_error_handlers, json_method_not_allowed
from accord.api.ratelimit import rate_limited
from accord.attribution.api import router as attribution_router
from accord.core import strict_json
from accord.crm.api import router as crm_router
from accord.definitions.api import router as definitions_router
from accord.definitions.api_predictive import router as predictive_router
from accord.experiments.api import router as experiments_router
from accord.handoff.api import router as handoff_router
from accord.identity.api import router as identity_router
from accord.identity.audit_api import router as audit_router
from accord.identity.members_api import router as members_router
from accord.integrations.api import router as integrations_router
from accord.integrations.api_imports import router as imports_router
from accord.integrations.export.api import router as export_router
from accord.integrations.privacy.api import router as privacy_router
from accord.marketing.api import router as marketing_router
from accord.marketing.enablement_api import calendar_router
from accord.marketing.enablement_api import router as enablement_router
from accord.meetings.api import router as meetings_router
from accord.metrics.api import router as metrics_router
from accord.metrics.goals_api import router as goals_router

DESCRIPTION = """\
The Accord REST API: companies, contacts, deals, activities, campaigns, touchpoints and the
lifecycle ledger of one workspace.

**Authentication.** Send an API token as `Authorization: Bearer acc_<prefix>_<secret>`; the
token acts in its workspace with its user's role. Read-scoped tokens may only use GET. The web
app's session cookie works too (unsafe methods need the `X-CSRFToken` header).

**Lists** take `ordering`, `limit` (1-500, default 50) and `cursor`, and answer
`{"results": [...], "next_cursor": "..." | null}`. Pass `next_cursor` back as `cursor`, with
the same filters and ordering, for the next page.

**Errors** (every 4xx) have one shape:
`{"error": {"code": "...", "message": "...", "fields": {"field": ["message", ...]}}}`.
Records of other workspaces do not exist for you (404), and referencing their ids is a field
error (400). Bad input writes nothing.

**Money** leaves the API as strings with two decimals (`"1200.00"`) and is accepted as a
number or a string.
"""

_ERROR_STATUSES = {
    "400": "Invalid input (validation_error, malformed_json); nothing was written.",
    "401": "No valid credentials (unauthenticated).",
    "403": "The role or the token's scope does not allow this (permission_denied).",
    "404": "No such record in this workspace (not_found).",
    "409": "Conflicts with existing data, e.g. a duplicate email (conflict).",
    "429": "Too many requests for this token or address (throttled); see Retry-After.",
}
_PATH_PARAM = re.compile(r"\{[^}]+\}")


class AccordJSONEncoder(NinjaJSONEncoder):
    """Times keep their microseconds (Django's encoder cuts them to milliseconds), so a value
    read from the API can be sent back as a filter and match exactly."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        return super().default(o)


class AccordJSONRenderer(JSONRenderer):
    encoder_class = AccordJSONEncoder


class StrictJSONParser(Parser):
    """Request bodies as standard JSON (`core.strict_json`): NaN is a malformed body, not a
    failed write."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return cast(dict[str, Any], strict_json.loads(request.body))


class AccordAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        # Handler names are unique across the API (list_contacts, create_deal, ...).
        return operation.view_func.__name__

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(error_schema.pop("$defs", {}))
        schemas["ErrorOut"] = error_schema
        for path, methods in schema.get("paths", {}).items():
            for method, operation in methods.items():
                responses = operation.setdefault("responses", {})
                for status in _error_statuses(method, bool(_PATH_PARAM.search(path))):
                    responses.setdefault(
                        status,
                        {
                            "description": _ERROR_STATUSES[status],
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ErrorOut"}
                                }
                            },
                        },
                    )
        return schema

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for url in urls:
            if isinstance(url, URLPattern):
                url.callback = rate_limited(json_method_not_allowed(url.callback))
        return urls


def _error_statuses(method: str, has_path_params: bool) -> list[str]:
    statuses = ["400", "401", "403"]
    if has_path_params:
        statuses.append("404")
    if method in {"post", "patch", "put"}:
        statuses.append("409")
    statuses.append("429")
    return statuses


api = AccordAPI(
    title="Accord API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    renderer=AccordJSONRenderer(),
    parser=StrictJSONParser(),
)
install_error_handlers(api)

api.add_router("", identity_router)
api.add_router("", members_router)
api.add_router("", crm_router)
api.add_router("", marketing_router)
api.add_router("", enablement_router)
api.add_router("", calendar_router)
api.add_router("", definitions_router)
api.add_router("", predictive_router)
api.add_router("", handoff_router)
api.add_router("", export_router)
api.add_router("", imports_router)
api.add_router("", integrations_router)
api.add_router("", privacy_router)
api.add_router("", metrics_router)
api.add_router("", goals_router)
api.add_router("", attribution_router)
api.add_router("", experiments_router)
api.add_router("", audit_router)
api.add_router("", meetings_router)
api.add_router("", alignment_router)

# Unknown paths under /api/v1 answer with the error body too (registered last, so it only
# catches what no endpoint matched).
_fallback = Router()


@_fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"],
    "/{path:unmatched}",
    auth=None,
    include_in_schema=False,
)
def unmatched_path(request: HttpRequest, unmatched: str) -> None:
    raise Http404(unmatched)


api.add_router("", _fallback)
