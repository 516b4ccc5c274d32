"""Permission-matrix rows for the action screens (governance/urls_actions.py).

The world's action is open, at `home`, owned by `manager`, with one step given to `staff`.
Managers of home and the organisation-wide quality lead and nominated individual manage it;
staff of home see it, tick their own step and log concerns; the admin (a viewer by role) only
reads; the manager and viewer of `branch` and the outsider cannot see it (404).
"""

from qip.tests.permission_matrix import row

READERS = {"staff": "ok", "manager": "ok", "quality": "ok", "ni": "ok", "admin": "ok"}
HIDDEN = {"other_manager": 404, "viewer": 404, "outsider": 404}
MANAGERS = row("login", manager="ok", quality="ok", ni="ok", staff=403, admin=403, **HIDDEN)
CONTRIBUTORS = row("login", manager="ok", quality="ok", ni="ok", staff="ok", admin=403, **HIDDEN)
POST_ONLY = row("login", everyone_else=405)

ROWS = {
    "action_create": {"GET": MANAGERS, "POST": MANAGERS},
    "action_detail": {"GET": row("login", **READERS, **HIDDEN), "POST": row("login", everyone_else=405)},
    "action_edit": {"GET": MANAGERS, "POST": MANAGERS},
    "criteria_edit": {"GET": MANAGERS, "POST": MANAGERS},
    "step_undo": {"GET": MANAGERS, "POST": MANAGERS},
    "step_add": {"GET": MANAGERS, "POST": MANAGERS},
    "step_done": {"GET": POST_ONLY, "POST": CONTRIBUTORS},
    "wording_check": {"GET": POST_ONLY, "POST": row("login", everyone_else="ok")},
    "action_start_assurance": {"GET": POST_ONLY, "POST": MANAGERS},
    "action_request_closure": {"GET": MANAGERS, "POST": MANAGERS},
    "concern_add": {"GET": CONTRIBUTORS, "POST": CONTRIBUTORS},
}


def kwargs(world):
    action = world["action"].pk
    return {
        "action_create": {"plan_pk": world["plan"].pk},
        "action_detail": {"pk": action},
        "action_edit": {"pk": action},
        "criteria_edit": {"pk": action},
        "step_undo": {"pk": world["step"].pk},
        "step_add": {"pk": action},
        "step_done": {"pk": world["step"].pk},
        "action_start_assurance": {"pk": action},
        "action_request_closure": {"pk": action},
        "concern_add": {"action_pk": action},
    }


def post_data(world):
    """Real writes where they are cheap, so the matrix also proves the allowed POST goes through."""
    return {
        "wording_check": {"lint": "title", "kind": "action", "title": "Staff reminded to sign MAR charts"},
        "concern_add": {
            "kind": "incident",
            "occurred_on": world["reading"].period_end.isoformat(),
            "summary": "Medicine given late on the night shift.",
        },
        "step_add": {
            "what": "Senior carer checks 5 MAR charts each shift and records gaps in the daily management log",
            "who_role": "senior carer",
        },
    }
