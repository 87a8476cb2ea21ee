"""The audit log page (admins only): every audited change of the workspace, newest first,
filtered by action, acting user, object type and days; and its CSV export, which is itself
recorded in the log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accord.identity.audit_log import (
    AuditFilters,
    audit_choices,
    audit_entries,
    audit_export,
    require_audit_access,
)
from accord.identity.models import Membership
from accord.web.forms import FilterForm, day_field
from accord.web.views.access import member_view, web_actor
from accord.web.views.listing import render_list

SORT_COLUMNS = {"when": ("occurred_at",)}
_DATE = forms.DateInput(attrs={"type": "date"})


class AuditFilterForm(FilterForm):
    action = forms.ChoiceField(required=False, label="Action")
    actor = forms.TypedChoiceField(required=False, coerce=int, label="Who")
    object_type = forms.ChoiceField(required=False, label="Object")
    since = day_field("From", _DATE)
    until = day_field("To (inclusive)", _DATE)

    def __init__(self, data: Any, *, choices: dict[str, list[Any]]) -> None:
        super().__init__(data)
        actions: list[str] = choices["actions"]
        prefixes = sorted({f"{a.split('.')[0]}." for a in actions})
        self.fields["action"].choices = [  # type: ignore[attr-defined]
            ("", "Any action"),
            *((p, f"{p}* (all)") for p in prefixes),
            *((a, a) for a in actions),
        ]
        self.fields["actor"].choices = [  # type: ignore[attr-defined]
            ("", "Anyone"),
            *choices["users"],
        ]
        self.fields["object_type"].choices = [  # type: ignore[attr-defined]
            ("", "Any object"),
            *((t, t) for t in choices["object_types"]),
        ]

    def filters(self) -> AuditFilters:
        values = self.values()
        since, until = values.get("since"), values.get("until")
        return AuditFilters(
            action=values.get("action", ""),
            user_id=values.get("actor"),
            object_type=values.get("object_type", ""),
            since=_start_of(since) if since else None,
            until=_start_of(until + dt.timedelta(days=1)) if until else None,
        )


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the workspace's time zone (the one the middleware activated)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


@require_GET
@member_view()
def audit_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    actor = web_actor(membership)
    require_audit_access(actor)
    form = AuditFilterForm(request.GET, choices=audit_choices(actor))
    return render_list(
        request,
        template="web/audit/list.html",
        form=form,
        queryset=audit_entries(actor, form.filters()),
        columns=SORT_COLUMNS,
        default_sort="-when",
        context={"export_query": request.GET.urlencode()},
    )


@require_GET
@member_view()
def audit_export_csv(request: HttpRequest, membership: Membership) -> HttpResponse:
    actor = web_actor(membership)
    require_audit_access(actor)
    form = AuditFilterForm(request.GET, choices=audit_choices(actor))
    response = StreamingHttpResponse(
        audit_export(actor, form.filters()), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    slug = membership.workspace.slug
    response["Content-Disposition"] = f'attachment; filename="audit-{slug}-{stamp}.csv"'
    # Streamed, so a long log is never held in memory; member_view is typed for HttpResponse.
    return response  # type: ignore[return-value]
