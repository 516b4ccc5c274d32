from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "governance"

    def ready(self):
        from governance import audit_wording
        from qip import audit_guard

        audit_wording.register()

        # Signatures are records of decisions: never changed, never deleted.
        audit_guard.register("governance_signoff")
