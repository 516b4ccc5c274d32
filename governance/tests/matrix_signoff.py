"""Permission-matrix rows for the sign-off inbox and decision page (governance/urls_signoff.py).

The inbox is for quality leads and nominated individuals (403 for every other role, the outsider included:
a registered manager in their own organisation). The decision page points at a pending closure request
of the world's action (not high-risk, owned and requested by `manager`, its step given to `staff`):
quality and ni may decide it; staff, manager (owner and requester) and admin (a viewer by role) get 403
with the reason; the manager and viewer of `branch` and the outsider cannot see the action (404).
An empty POST re-shows the page asking for a decision.
"""

from governance.models import ClosureRequest
from qip.tests.permission_matrix import row

DECIDERS = {"quality": "ok", "ni": "ok"}
HIDDEN = {"other_manager": 404, "viewer": 404, "outsider": 404}
DECIDE = row("login", **DECIDERS, staff=403, manager=403, admin=403, **HIDDEN)

ROWS = {
    "signoff_inbox": {
        "GET": row("login", **DECIDERS, everyone_else=403),
        "POST": row("login", quality=405, ni=405, everyone_else=403),
    },
    "signoff_decide": {"GET": DECIDE, "POST": DECIDE},
}


def kwargs(world):
    action = world["action"]
    closure_request = ClosureRequest.objects.create(
        organisation=world["org"],
        action=action,
        requested_by=action.owner,
        bau_monitoring_plan="Monthly audit by the deputy manager.",
        closure_learning="Observed practice changed what happened.",
    )
    return {"signoff_decide": {"pk": closure_request.pk}}
