"""Permission-matrix rows for commissioner packs (governance/urls_packs.py).

Every member lists the packs that stay within the locations they can see; the world's pack covers
`home`, so the branch-only registered manager and viewer get 404 on it, as does the outsider.
Only quality leads and nominated individuals ask for packs or build one again: a POST to the list
by anyone else is 403 (theirs is an invalid, empty form: 200), and so is a retry by a member who
can see the pack (the world's pack is built, so for the makers the retry is refused with a message).
"""

from governance.tests.pack_fixtures import ready_pack
from qip.tests.permission_matrix import row

CANNOT_SEE = {"other_manager": 404, "viewer": 404, "outsider": 404}
MAKERS = {"quality": "ok", "ni": "ok"}

ROWS = {
    "pack_list": {
        "GET": row("login", everyone_else="ok"),
        "POST": row("login", **MAKERS, everyone_else=403),
    },
    "pack_detail": {
        "GET": row("login", **CANNOT_SEE, everyone_else="ok"),
        "POST": row("login", everyone_else=405),
    },
    "pack_download": {
        "GET": row("login", **CANNOT_SEE, everyone_else="ok"),
        "POST": row("login", everyone_else=405),
    },
    "pack_retry": {
        "GET": row("login", everyone_else=405),
        "POST": row("login", **CANNOT_SEE, **MAKERS, everyone_else=403),
    },
}


def kwargs(world):
    pack = ready_pack(organisation=world["org"], requested_by=world["plan"].owner, locations=[world["home"]])
    return {name: {"pk": pack.pk} for name in ("pack_detail", "pack_download", "pack_retry")}
