from django.apps import AppConfig

# Reviews and cadence changes are records of decisions, like signatures.
REVIEW_TABLES = [
    "governance_review",
    "governance_reviewline",
    "governance_review_evidence_seen",
    "governance_cadencechange",
]


class GovernanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "governance"

    def ready(self):
        from governance import audit_wording
        from qip import audit_guard

        audit_wording.register()

        # Signatures are records of decisions: never changed, never deleted.
        audit_guard.register("governance_signoff")
        for table in REVIEW_TABLES:
            audit_guard.register(table)

        from evidence.signals import concern_logged
        from governance.services_reviews import step_up_for_concern

        concern_logged.connect(step_up_for_concern, dispatch_uid="governance.step_up_for_concern")
