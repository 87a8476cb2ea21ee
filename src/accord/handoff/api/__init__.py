"""REST endpoints of the handoff, one module per aggregate: handed-off leads (with their
escalations and the contact cap), SLA agreements, and routing settings. Handlers are thin:
parse, call a service or a read with the caller's workspace, render."""

from ninja import Router

from accord.handoff.api import agreements, handoffs, reports, routing_settings

router = Router()
for module in (reports, handoffs, agreements, routing_settings):
    router.add_router("", module.router)
