"""A contact's personal data on its page: download everything held about it (JSON), and erase
it. Admins and managers only (the services check it; the page shows the card to them only)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from accord.core.errors import AccordError, NotFound, PermissionDenied
from accord.identity.models import Membership
from accord.identity.permissions import Action
from accord.integrations.privacy.erase import erase_contact
from accord.integrations.privacy.export import personal_data_export
from accord.web.views.access import member_view, web_actor


@require_GET
@member_view()
def contact_personal_data(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    document = personal_data_export(actor=web_actor(membership), contact_id=pk)
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="contact-{pk}-personal-data.json"'
    return response


@require_POST
@member_view(post_requires=Action.MANAGE_PERSONAL_DATA)
def contact_erase(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    try:
        erasure = erase_contact(actor=web_actor(membership), contact_id=pk)
    except (NotFound, PermissionDenied):
        raise
    except AccordError as exc:
        messages.error(request, exc.message)
        return redirect("web:contact", pk=pk)
    messages.success(
        request,
        f"Contact {pk} was erased with its personal data; "
        f"{erasure.deals_kept} deal(s) kept without it.",
    )
    return redirect("web:contacts")
