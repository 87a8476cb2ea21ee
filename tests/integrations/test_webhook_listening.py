"""Which subscriptions are listening is read once per workspace for a short while, not once per
event: a bulk change publishes an event per record. Changes made through the services take
effect at once; a change that bypasses them (another process without a shared cache) within
LISTENING_SECONDS."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.core.events import Event
from accord.identity.actor import Actor, Source
from accord.identity.models import Role, Workspace
from accord.integrations.models import WebhookDelivery, WebhookSubscription
from accord.integrations.webhooks import dispatch, services

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:9/hook"


def event(workspace: Workspace, name: str = "contact.updated") -> Event:
    return Event(workspace_id=workspace.pk, name=name, data={"contact_id": 1, "fields": []})


def delivered(workspace: Workspace) -> int:
    return WebhookDelivery.objects.for_workspace(workspace).count()


@pytest.fixture
def admin(member_factory: Any) -> Actor:
    return Actor.for_membership(member_factory(Role.ADMIN), Source.API)


def test_a_thousand_events_with_no_subscription_cost_one_query(workspace: Workspace) -> None:
    with CaptureQueriesContext(connection) as queries:
        for _ in range(1000):
            dispatch.on_event(event(workspace))
    assert len(queries) == 1
    assert delivered(workspace) == 0


def test_changes_through_the_services_take_effect_at_once(
    workspace: Workspace, admin: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    dispatch.on_event(event(workspace))  # "nobody listens" is now remembered
    with django_capture_on_commit_callbacks(execute=True):
        hook, _ = services.webhook_create(
            actor=admin, values={"url": URL, "events": ["contact.updated"]}
        )
    dispatch.on_event(event(workspace))
    dispatch.on_event(event(workspace, "deal.won"))  # not subscribed
    assert delivered(workspace) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_update(actor=admin, subscription_id=hook.pk, values={"active": False})
    dispatch.on_event(event(workspace))
    assert delivered(workspace) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_update(
            actor=admin, subscription_id=hook.pk, values={"active": True, "events": ["*"]}
        )
    dispatch.on_event(event(workspace, "deal.won"))
    assert delivered(workspace) == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_delete(actor=admin, subscription_id=hook.pk)
    dispatch.on_event(event(workspace))
    assert delivered(workspace) == 0  # the log went with the subscription; nothing new


def test_a_change_elsewhere_is_seen_once_the_list_expires(
    workspace: Workspace, admin: Actor
) -> None:
    dispatch.on_event(event(workspace))
    # Written as another process would, without telling this one.
    WebhookSubscription.objects.create(
        workspace=workspace, url=URL, events=["contact.updated"], salt="s" * 32
    )
    dispatch.on_event(event(workspace))
    assert delivered(workspace) == 0  # within LISTENING_SECONDS: the remembered list
    cache.delete(dispatch._listening_key(workspace.pk))  # as when it expires
    dispatch.on_event(event(workspace))
    assert delivered(workspace) == 1
    assert dispatch.LISTENING_SECONDS <= 2
