import fcntl
import json
import logging
import os
import shutil
from pathlib import Path

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qip.settings")

logger = logging.getLogger(__name__)

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


@worker_init.connect
def quarantine_damaged_messages(**kwargs):
    """The file-system broker writes a message in place: a process killed mid-write leaves a damaged file,
    and a worker that reads it stops. Move such files aside (with a warning) before the worker starts."""
    from django.conf import settings

    folder = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}).get("data_folder_in")
    if not settings.CELERY_BROKER_URL.startswith("filesystem") or not folder:
        return
    damaged = Path(folder).parent / "damaged"
    for path in sorted(Path(folder).glob("*.msg")):
        try:
            with open(path, "rb") as message:
                fcntl.flock(message, fcntl.LOCK_SH | fcntl.LOCK_NB)  # held by a writer still writing: leave it
                json.loads(message.read() or b"")
        except BlockingIOError:
            continue
        except (OSError, ValueError):
            damaged.mkdir(exist_ok=True)
            try:
                shutil.move(str(path), damaged / path.name)
            except OSError:
                continue
            logger.warning("Moved damaged broker message %s to %s", path.name, damaged)
