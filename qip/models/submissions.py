"""Forms sent twice are acted on once: the tokens already used (see qip.once)."""

from django.db import models
from django.utils import timezone


class SubmittedForm(models.Model):
    """The token of a form whose write was committed; the unique index is what refuses a second one."""

    token = models.CharField(max_length=64, unique=True)
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"form submitted at {self.submitted_at:%Y-%m-%d %H:%M}"
