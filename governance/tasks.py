"""Celery tasks: thin wrappers around governance.sweeps and governance.notify (DESIGN §6)."""

import logging

from celery import shared_task

from governance import notify, services_packs, sweeps

logger = logging.getLogger(__name__)

# A failed send is retried with back-off; the row's claim is released first, so the retry (or the
# pending_email sweep) can take it, and the emailed/sent stamp means it is never sent twice.
RETRY = {"autoretry_for": (Exception,), "retry_backoff": 30, "retry_backoff_max": 1800, "max_retries": 8}


@shared_task(**RETRY)
def send_notification_email(notification_id):
    return notify.send_notification_email(notification_id)


@shared_task(**RETRY)
def send_digest_email(digest_id):
    return notify.send_digest_email(digest_id)


@shared_task
def run_sweep(name):
    """One sweep by name (see sweeps.SWEEPS); returns what it made."""
    return sweeps.run(name)


@shared_task
def run_reminder_sweeps():
    """The sweeps that find due and overdue work (not the e-mail and audit ones, which have their own times).

    One failing sweep must not stop the others this hour: it is logged and reported as an error.
    """
    made = {}
    for name in sweeps.REMINDER_SWEEPS:
        try:
            made[name] = sweeps.run(name)
        except Exception:
            logger.exception("Sweep %s failed; the others ran", name)
            made[name] = "error"
    return made


@shared_task
def build_pack(pack_id):
    """Build one commissioner pack (governance.services_packs.build_pack); returns its status."""
    pack = services_packs.build_pack(pack_id)
    return pack.status if pack is not None else "not claimed"
