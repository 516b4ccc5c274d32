"""A form sent twice (a double click, a retry on a slow connection) is acted on once.

A protected form carries a one-time token (`{% submission_token %}` from once_tags) and its view does
the write inside `qip.once.only_once(request)`, which records the token in the same transaction.
A second request with the same token waits for the first to commit, finds the token taken, and gets
AlreadySubmitted instead of writing again. A write that fails (a validation error) rolls its token back,
so the corrected form can still be sent.
"""

import re
import secrets
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from qip.models import SubmittedForm

FIELD = "submission_token"
# Long enough to cover a retry after a lost connection; older tokens are forgotten.
KEEP = timedelta(days=1)
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


class AlreadySubmitted(Exception):
    """This form's write has already been done."""


def new_token():
    return secrets.token_urlsafe(24)


@contextmanager
def only_once(request):
    """Run the block in a transaction that also records the posted token; AlreadySubmitted if it is taken.

    A request without a well-formed token (an old page, a script) is not protected, but never refused.
    """
    token = request.POST.get(FIELD, "")
    if not TOKEN.fullmatch(token):
        token = ""
    if token:
        # Outside the transaction below, so two submissions never wait on each other's clean-up.
        SubmittedForm.objects.filter(submitted_at__lt=timezone.now() - KEEP).delete()
    with transaction.atomic():
        if token:
            try:
                with transaction.atomic():
                    SubmittedForm.objects.create(token=token)
            except IntegrityError:
                raise AlreadySubmitted from None
        yield
