from django.apps import AppConfig


class QipConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "qip"
    verbose_name = "QIP governance"

    def ready(self):
        from qip import signals  # noqa: F401  (connects the sign-in audit receivers)
