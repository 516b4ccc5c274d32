import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qip.settings")

app = Celery("qip")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# A static schedule: sweeps find due work themselves, nothing is queued weeks ahead.
app.conf.beat_schedule = {
    "reminder-sweeps-hourly": {
        "task": "governance.tasks.run_reminder_sweeps",
        "schedule": crontab(minute=10),
    },
    "daily-digest": {
        # Makes each person's digest once a day from DIGEST_HOUR; running every 15 minutes only catches up.
        "task": "governance.tasks.run_sweep",
        "schedule": crontab(minute="*/15"),
        "args": ("digest",),
    },
    "pending-email": {
        "task": "governance.tasks.run_sweep",
        "schedule": crontab(minute="*/10"),
        "args": ("pending_email",),
    },
    "verify-audit-chains-nightly": {
        "task": "governance.tasks.run_sweep",
        "schedule": crontab(hour=2, minute=15),
        "args": ("audit_chain",),
    },
    "clear-expired-sessions-nightly": {
        "task": "qip.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=5),
    },
}
