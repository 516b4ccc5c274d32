"""Permission-matrix rows for the plan screens (see qip/tests/permission_matrix.py).

The world's plan is at `home`: other_manager and viewer (of `branch`) cannot see it (404),
nor can the outsider; staff, the org admin (a viewer) and viewers may read but not write (403).
Lists and the create form show only the user's own organisation, so the outsider gets "ok".
"""

from qip.tests.permission_matrix import row

CREATORS = {"manager": "ok", "other_manager": "ok", "quality": "ok", "ni": "ok", "outsider": "ok"}
EDITORS = {"manager": "ok", "quality": "ok", "ni": "ok", "other_manager": 404, "viewer": 404, "outsider": 404}
READERS = {"other_manager": 404, "viewer": 404, "outsider": 404}

ROWS = {
    "plan_list": {"GET": row("login", everyone_else="ok"), "POST": row("login", everyone_else=405)},
    "plan_create": {
        "GET": row("login", **CREATORS, everyone_else=403),
        "POST": row("login", **CREATORS, everyone_else=403),
    },
    "plan_detail": {"GET": row("login", **READERS, everyone_else="ok"), "POST": row("login", everyone_else=405)},
    "plan_edit": {
        "GET": row("login", **EDITORS, everyone_else=403),
        "POST": row("login", **EDITORS, everyone_else=403),
    },
}


def kwargs(world):
    return {"plan_detail": {"pk": world["plan"].pk}, "plan_edit": {"pk": world["plan"].pk}}
