from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "accord.identity"
    label = "identity"
    verbose_name = "Identity"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accord.identity.audit_sign_ins import connect

        # Sign-ins, failed sign-ins and sign-outs go to the audit log.
        connect()
