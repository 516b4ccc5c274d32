"""Permission-matrix rows for the evidence screens (see qip/tests/permission_matrix.py).

The world's action, plan and evidence are at `home`: other_manager and viewer (of `branch`) and the
outsider cannot see them (404). Adding evidence is for staff and above where the action is; the
organisation admin is a viewer there (403). Withdrawing is for registered managers and above.
An empty POST re-shows the form with messages beside the fields ("ok").
"""

from qip.tests.permission_matrix import row

HIDDEN = {"other_manager": 404, "viewer": 404, "outsider": 404}

ADD = row("login", **HIDDEN, admin=403, everyone_else="ok")
READ = row("login", **HIDDEN, everyone_else="ok")
READ_ONLY_POST = row("login", everyone_else=405)
WITHDRAW = row("login", **HIDDEN, staff=403, admin=403, everyone_else="ok")

ROWS = {
    "evidence_add": {"GET": ADD, "POST": ADD},
    "plan_evidence_add": {"GET": ADD, "POST": ADD},
    "evidence_detail": {"GET": READ, "POST": READ_ONLY_POST},
    "evidence_file_download": {"GET": READ, "POST": READ_ONLY_POST},
    "evidence_withdraw": {"GET": WITHDRAW, "POST": WITHDRAW},
}


def kwargs(world):
    return {
        "evidence_add": {"action_pk": world["action"].pk},
        "plan_evidence_add": {"plan_pk": world["plan"].pk},
        "evidence_detail": {"pk": world["evidence"].pk},
        "evidence_file_download": {"pk": world["evidence_file"].pk},
        "evidence_withdraw": {"pk": world["evidence"].pk},
    }
