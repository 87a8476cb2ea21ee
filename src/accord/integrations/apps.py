from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "accord.integrations"
    label = "integrations"
    verbose_name = "Integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accord.core.events import subscribe
        from accord.integrations.webhooks.dispatch import on_event

        # Outbound webhooks and Slack hear every domain event once its transaction commits.
        subscribe(on_event)
