from datetime import timedelta

from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from qip.models import UserSession
from qip.tasks import clear_expired_sessions


def test_nightly_clean_up_removes_expired_sessions_and_their_owner_records(manager):
    live, expired = SessionStore(), SessionStore()
    live.create()
    expired.set_expiry(timezone.now() - timedelta(minutes=1))
    expired.create()
    UserSession.objects.create(user=manager, session_key=live.session_key)
    UserSession.objects.create(user=manager, session_key=expired.session_key)

    assert clear_expired_sessions() == {"user_sessions_removed": 1}

    assert list(UserSession.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert not SessionStore().exists(expired.session_key)
