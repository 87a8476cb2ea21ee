"""REST endpoints of the CRM: companies, contacts, deals, activities, the lifecycle ledger,
lifecycle stages and pipelines, one module per aggregate. Handlers are thin: parse, call a
service or a selector with the caller's workspace, render."""

from ninja import Router

from accord.crm.api import activities, companies, configuration, contacts, deals, ledger

router = Router()
for module in (companies, contacts, ledger, deals, activities, configuration):
    router.add_router("", module.router)
