import logging

from celery import shared_task
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from qip.audit import verify_all
from qip.models import UserSession

logger = logging.getLogger(__name__)


@shared_task
def verify_audit_chains():
    """Nightly check of every chain; notifications on failure arrive with the reminders work."""
    reports = verify_all()
    for report in reports:
        if not report.intact:
            logger.error("Audit chain %s broken at event %s: %s", report.chain, report.seq, report.problem)
    return {"chains": len(reports), "broken": sum(not r.intact for r in reports)}


@shared_task
def clear_expired_sessions():
    """Drop expired sessions and the records of which user held them."""
    call_command("clearsessions")
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    removed, _ = UserSession.objects.exclude(session_key__in=live).delete()
    return {"user_sessions_removed": removed}
