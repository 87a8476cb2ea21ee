"""The ledger page: every lifecycle transition of the workspace, newest first."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from accord.crm.selectors import LedgerFilters, ledger_list
from accord.identity.models import Membership
from accord.web.forms import LedgerFilterForm
from accord.web.views.access import member_view
from accord.web.views.listing import render_list
from accord.web.views.stages import StageCatalogue

SORT_COLUMNS = {"when": ("occurred_at",)}


@require_GET
@member_view()
def ledger_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    catalogue = StageCatalogue.of(workspace)
    form = LedgerFilterForm(request.GET, stages=catalogue.stages)
    values = form.values()
    filters = LedgerFilters(
        to_stage=values.get("to_stage", ""),
        source=values.get("source", ""),
        contact_id=values.get("contact"),
    )
    return render_list(
        request,
        template="web/ledger/list.html",
        form=form,
        queryset=ledger_list(workspace, filters),
        columns=SORT_COLUMNS,
        default_sort="-when",
        context={"stage_labels": catalogue.labels},
    )
