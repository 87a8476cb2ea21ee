"""Template context for every page: the current membership and workspace, the workspaces the
user can switch to, and what the navigation may show."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

import accord
from accord.alignment.selectors import waiting_pulse
from accord.identity.models import Membership, Role
from accord.identity.selectors import memberships_of


def workspace_context(request: HttpRequest) -> dict[str, Any]:
    membership: Membership | None = getattr(request, "membership", None)
    context: dict[str, Any] = {
        "membership": membership,
        "workspace": membership.workspace if membership else None,
        "accord_version": accord.__version__,
        "show_admin_link": False,
        "switchable_memberships": [],
    }
    if membership is not None:
        user = membership.user
        context["show_admin_link"] = user.is_superuser or (
            user.is_staff and membership.role == Role.ADMIN
        )
        # Evaluated only when the workspace switcher is rendered.
        context["switchable_memberships"] = SimpleLazyObject(lambda: list(memberships_of(user)))
        # The open survey pulse the member has not answered yet (a reminder on every page).
        context["survey_waiting"] = SimpleLazyObject(lambda: waiting_pulse(membership))
    return context
