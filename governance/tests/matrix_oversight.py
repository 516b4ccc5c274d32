"""Permission-matrix rows for the provider oversight page (governance/urls_oversight.py).

Only quality leads and nominated individuals see it (permissions.can_view_oversight). Every other
member gets 403, the admin too (a viewer by role), and so does the outsider, who is a registered
manager (and admin) of their own organisation. The page only reads: POST is 405 for its readers.
"""

from qip.tests.permission_matrix import row

ROWS = {
    "oversight": {
        "GET": row("login", quality="ok", ni="ok", everyone_else=403),
        "POST": row("login", quality=405, ni=405, everyone_else=403),
    },
}
