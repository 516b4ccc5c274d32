"""Signals other apps listen to (imports flow governance → evidence, so evidence announces, never calls up)."""

from django.dispatch import Signal

# Sent inside log_concern's transaction, after the concern is saved: concern=, actor=.
concern_logged = Signal()
