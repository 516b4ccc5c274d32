"""Permission-matrix rows for the action list and the plan and action exports (see qip/tests/permission_matrix.py).

Every member may list and download what they can see (the rows are limited by for_user, not refused);
the outsider gets their own organisation's rows, so "ok" too. Reads only: POST is 405.
"""

from qip.tests.permission_matrix import row

READ_ONLY = {"GET": row("login", everyone_else="ok"), "POST": row("login", everyone_else=405)}

ROWS = {
    "action_list": READ_ONLY,
    "plan_export": READ_ONLY,
    "action_export": READ_ONLY,
}


def kwargs(world):
    return {"plan_export": {"fmt": "csv"}, "action_export": {"fmt": "xlsx"}}
