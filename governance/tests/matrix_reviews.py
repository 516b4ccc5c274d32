"""Permission-matrix rows for the review screens and the governance agenda (governance/urls_reviews.py).

The world's plan is at `home`. Registered managers of home, quality leads and nominated individuals
record its reviews; staff and the org admin (a viewer by role) see the plan but may not (403); the
manager and viewer of `branch` and the outsider cannot see it (404). Anyone who sees the plan reads
its reviews. The agenda is for registered managers and above of the current organisation (the
outsider is one in their own).
"""

from qip.tests.permission_matrix import row

HIDDEN = {"other_manager": 404, "viewer": 404, "outsider": 404}
RECORDERS = row("login", manager="ok", quality="ok", ni="ok", staff=403, admin=403, **HIDDEN)
AGENDA_READERS = {"manager": "ok", "other_manager": "ok", "quality": "ok", "ni": "ok", "outsider": "ok"}

ROWS = {
    "review_add": {"GET": RECORDERS, "POST": RECORDERS},
    "review_detail": {"GET": row("login", **HIDDEN, everyone_else="ok"), "POST": row("login", everyone_else=405)},
    "governance_agenda": {
        "GET": row("login", **AGENDA_READERS, everyone_else=403),
        "POST": row("login", **dict.fromkeys(AGENDA_READERS, 405), everyone_else=403),
    },
}


def kwargs(world):
    from django.utils import timezone

    from governance.models import Review

    plan = world["plan"]
    review = Review.objects.create(
        plan=plan,
        held_on=timezone.localdate(),
        recorded_by=plan.owner,
        decision="continue",
        cadence_before=plan.review_cadence,
        cadence_after=plan.review_cadence,
        next_review_on=timezone.localdate(),
    )
    return {"review_add": {"plan_pk": plan.pk}, "review_detail": {"pk": review.pk}}
