from django.urls import path

from accord.web.views import (
    auth,
    campaigns,
    companies,
    contacts,
    deals,
    definitions,
    home,
    ledger,
    predictive,
    workspace,
)

app_name = "web"
urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth.login, name="login"),
    path("logout/", auth.logout, name="logout"),
    path("workspace/switch/", workspace.workspace_switch, name="workspace_switch"),
    path("contacts/", contacts.contact_index, name="contacts"),
    path("contacts/<int:pk>/", contacts.contact_detail, name="contact"),
    path("contacts/<int:pk>/lifecycle/", contacts.contact_change_stage, name="contact_lifecycle"),
    path("contacts/<int:pk>/activities/", contacts.contact_log_activity, name="contact_activity"),
    path("companies/", companies.company_index, name="companies"),
    path("companies/<int:pk>/", companies.company_detail, name="company"),
    path("deals/", deals.deal_index, name="deals"),
    path("deals/<int:pk>/", deals.deal_detail, name="deal"),
    path("campaigns/", campaigns.campaign_index, name="campaigns"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign"),
    path("ledger/", ledger.ledger_index, name="ledger"),
    path("definitions/", definitions.definition_index, name="definitions"),
    path("definitions/new/", definitions.definition_new, name="definition_new"),
    path("definitions/validate/", definitions.definition_validate, name="definition_validate"),
    path("definitions/rescore/", definitions.rescore_start, name="rescore_start"),
    path("definitions/rescore/<int:pk>/", definitions.rescore_job, name="rescore_job"),
    path("definitions/predictive/", predictive.predictive_model, name="predictive"),
    path("definitions/<int:pk>/", definitions.definition_detail, name="definition"),
    path("definitions/<int:pk>/edit/", definitions.definition_edit, name="definition_edit"),
    path(
        "definitions/<int:pk>/backtest/",
        definitions.definition_backtest,
        name="definition_backtest",
    ),
    path(
        "definitions/<int:pk>/<slug:action>/",
        definitions.definition_action,
        name="definition_action",
    ),
]
