from __future__ import annotations

from django.apps import AppConfig


class HandoffConfig(AppConfig):
    name = "accord.handoff"
    label = "handoff"
    verbose_name = "Handoff"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accord.core.events import subscribe
        from accord.crm.services.activities import register_activity_check
        from accord.handoff.cap import contact_cap_check
        from accord.handoff.subscribers import on_event

        # A new MQL is routed, and a logged touch counts on its SLA clock, on commit.
        subscribe(on_event)
        # A touch over the buyer's contact cap needs confirming, and is then recorded.
        register_activity_check(contact_cap_check)
