"""Permission-matrix rows for the post-closure check and reopening screens (governance/urls_checks.py).

Only quality leads and nominated individuals record checks and reopen actions (permissions.can_reopen).
The check list is theirs alone: every other member gets 403, and so does the outsider, who is a
registered manager (and admin) of their own organisation. The check and the reopened action are of a
closed action at `home`: staff and the manager of home see it but may not act (403); the admin (a
viewer by role) likewise; the manager and viewer of `branch` and the outsider cannot see it (404).
"""

from qip.tests.permission_matrix import row

HIDDEN = {"other_manager": 404, "viewer": 404, "outsider": 404}
REVIEWERS = row("login", quality="ok", ni="ok", staff=403, manager=403, admin=403, **HIDDEN)

ROWS = {
    "check_list": {
        "GET": row("login", quality="ok", ni="ok", everyone_else=403),
        "POST": row("login", quality=405, ni=405, everyone_else=403),
    },
    "check_record": {"GET": REVIEWERS, "POST": REVIEWERS},
    "action_reopen": {"GET": REVIEWERS, "POST": REVIEWERS},
}


def _closed_action(world):
    """A second action of the world's plan, closed by the nominated individual (with its checks due)."""
    from qip.models import Membership, Role
    from qip.tests import domain_factories as make

    if "closed_action" not in world:
        plan = world["plan"]
        ni = Membership.objects.get(organisation=world["org"], role=Role.NOMINATED_INDIVIDUAL).user
        action = make.ActionFactory(plan=plan, location=world["home"], owner=plan.owner, created_by=plan.owner)
        world["closed_action"] = make.close_action(action, signer=ni)
    return world["closed_action"]


def kwargs(world):
    action = _closed_action(world)
    return {
        "check_record": {"pk": action.post_closure_checks.order_by("due_on").first().pk},
        "action_reopen": {"pk": action.pk},
    }
