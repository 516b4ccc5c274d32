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
    """Check every chain on demand (the Audit log page); the nightly check is governance's audit_chain sweep,
    which also tells each organisation's admins and nominated individuals when theirs is broken."""
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
