"""Permission-matrix rows for the plan closure screens (governance/urls_plans.py, plan_request_closure).

The world's plan is at `home` with an open action. Registered managers, quality leads and nominated
individuals may put a plan forward (permissions.can_request_plan_closure): manager, quality and ni get the
page, and their POST is refused by the gate (the action is open), which re-shows the page. Staff and the
org admin (a viewer by role) see the plan but may not ask (403); the manager and viewer of `branch` and the
outsider cannot see it (404).
"""

from qip.tests.permission_matrix import row

REQUESTERS = row(
    "login", manager="ok", quality="ok", ni="ok", staff=403, admin=403, other_manager=404, viewer=404, outsider=404
)

ROWS = {
    "plan_request_closure": {"GET": REQUESTERS, "POST": REQUESTERS},
}


def kwargs(world):
    return {"plan_request_closure": {"pk": world["plan"].pk}}


def post_data(world):
    return {
        "plan_request_closure": {
            "bau_monitoring_plan": "MAR audits move to the monthly governance meeting.",
            "closure_learning": "Observed rounds changed practice; reminder e-mails did not.",
        }
    }
