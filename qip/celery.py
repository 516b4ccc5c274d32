import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qip.settings")

app = Celery("qip")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# A static schedule: sweeps find due work themselves, nothing is queued weeks ahead.
app.conf.beat_schedule = {
    "verify-audit-chains-nightly": {
        "task": "qip.tasks.verify_audit_chains",
        "schedule": crontab(hour=2, minute=15),
    },
    "clear-expired-sessions-nightly": {
        "task": "qip.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=5),
    },
}
