from __future__ import annotations

from typing import Any

from django.http import HttpRequest

import accord


def workspace_context(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    return {
        "membership": membership,
        "workspace": membership.workspace if membership else None,
        "accord_version": accord.__version__,
    }
