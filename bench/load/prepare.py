"""The load test's data step, run in its own process against the run's PostgreSQL database:
migrate, generate the seeded demo workspace, hand a pool of MQLs to sales (the open handoffs the
generator accepts and rejects), create an API token for the demo admin, and write what the load
generator needs as JSON.

    ACCORD_DATABASE_URL=postgres://... python bench/load/prepare.py --contacts 20000 \
        --handoffs 3000 --out setup.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

SEED = 42


def _sessions(workspace: object, count: int) -> list[str]:
    """Signed-in sessions for the workspace's people in turn, made the way Django's own test
    client signs in (the session store and `login()`), so the load is not the Argon2 hashing of
    one sign-in per simulated user."""
    from django.conf import settings
    from django.test import Client

    from accord.identity.models import Membership

    members = Membership.objects.filter(workspace=workspace).select_related("user")
    users = [m.user for m in members.order_by("id")]
    cookies = []
    for index in range(count):
        client = Client()
        client.force_login(users[index % len(users)])
        cookies.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    return cookies


def prepare(contacts: int, handoffs: int, sessions: int) -> dict[str, object]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from accord.crm.models import Contact
    from accord.crm.services.ledger import change_stage_bulk
    from accord.demo.loader import demo_generate
    from accord.handoff.models import Handoff, HandoffStatus, RejectionReason
    from accord.identity.actor import Actor, Source
    from accord.identity.models import Membership
    from accord.identity.services import api_token_create
    from accord.marketing.models import Campaign, Touchpoint

    timings: dict[str, float] = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    timings["migrate_s"] = time.perf_counter() - started

    started = time.perf_counter()
    result = demo_generate(contacts=contacts, seed=SEED)
    timings["demo_s"] = time.perf_counter() - started
    workspace = result.dataset.workspace
    admin = Membership.objects.get(workspace=workspace, user__email=result.login_email)
    actor = Actor.for_membership(admin, Source.API)

    # The pool of open handoffs: leads moved to MQL in one batch, routed like any other MQL.
    started = time.perf_counter()
    already = Handoff.objects.for_workspace(workspace).values("contact_id")
    lead_ids = list(
        Contact.objects.for_workspace(workspace)
        .filter(lifecycle_stage="lead")
        .exclude(pk__in=already)
        .order_by("id")
        .values_list("id", flat=True)[:handoffs]
    )
    change_stage_bulk(
        actor=actor,
        contact_ids=lead_ids,
        from_stage="lead",
        to_stage="mql",
        reason="load test: handed to sales",
    )
    open_ids = list(
        Handoff.objects.for_workspace(workspace)
        .filter(contact_id__in=lead_ids, status=HandoffStatus.OPEN)
        .order_by("id")
        .values_list("id", flat=True)
    )
    timings["handoffs_s"] = time.perf_counter() - started

    session_cookies = _sessions(workspace, sessions)
    _token, token = api_token_create(actor=actor, name="load test")
    reasons = list(
        RejectionReason.objects.for_workspace(workspace)
        .filter(is_active=True, needs_attempts=False)
        .values_list("key", flat=True)
    )
    emails = list(
        Contact.objects.for_workspace(workspace).order_by("id").values_list("email", flat=True)
    )
    campaigns = list(
        Campaign.objects.for_workspace(workspace).order_by("id").values_list("id", flat=True)
    )
    sizes = {
        "contacts": Contact.objects.for_workspace(workspace).count(),
        "touchpoints": Touchpoint.objects.for_workspace(workspace).count(),
        "open_handoffs": Handoff.objects.for_workspace(workspace)
        .filter(status=HandoffStatus.OPEN)
        .count(),
        "handoffs": Handoff.objects.for_workspace(workspace).count(),
        "campaigns": len(campaigns),
    }
    return {
        "login_email": result.login_email,
        "password": result.password,
        "token": token,
        "sessions": session_cookies,
        "handoff_ids": open_ids,
        "reasons": reasons,
        "emails": emails,
        "campaign_ids": campaigns,
        "sizes": sizes,
        "timings": timings,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--handoffs", type=int, default=3_000)
    parser.add_argument("--sessions", type=int, default=256)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    document = prepare(args.contacts, args.handoffs, args.sessions)
    Path(args.out).write_text(json.dumps(document), encoding="utf-8")
    print(json.dumps({"sizes": document["sizes"], "timings": document["timings"]}))


if __name__ == "__main__":
    sys.exit(main())
