"""The role × view permission matrix: every URL pattern, every persona, GET and POST.

Outcomes: "ok" (200, or a redirect that is not to sign-in), "login" (redirect to
sign-in), 403, 404 (a foreign organisation's object), 405 (method not allowed).
A URL pattern missing here fails test_permission_matrix; adding a view means
adding its row.

Personas (see conftest.py): anonymous; staff, manager (registered manager of
`home`), other_manager (registered manager of `branch` only), quality, ni,
viewer (of `branch`), admin (organisation admin); outsider (organisation admin
of a foreign organisation). Object URLs point at `org`'s objects.

Apps add their own rows in a module listed in ROW_MODULES, so work on
different screens never edits the same file. Such a module defines
`ROWS` ({url name: {"GET": row(...), "POST": row(...)}}) and may define
`kwargs(world)` ({url name: URL kwargs}) and `post_data(world)`
({url name: POST data}); `world` holds objects of `org` at `home` (see
test_permission_matrix.world).
"""

import importlib

PERSONAS = ["anonymous", "staff", "manager", "other_manager", "quality", "ni", "viewer", "admin", "outsider"]
MEMBERS = ["staff", "manager", "other_manager", "quality", "ni", "viewer", "admin"]
SIGNED_IN = [*MEMBERS, "outsider"]


def row(anonymous, **by_persona):
    """Outcomes for one method: `anonymous`, then persona=outcome or everyone_else=outcome."""
    default = by_persona.pop("everyone_else", None)
    outcomes = {"anonymous": anonymous}
    for persona in SIGNED_IN:
        outcomes[persona] = by_persona.pop(persona, default)
    assert not by_persona, f"unknown personas {by_persona}"
    assert None not in outcomes.values(), "every persona needs an outcome"
    return outcomes


def admin_only(*, foreign):
    """Organisation-admin screens: 403 for other roles; the outsider (an admin elsewhere) gets `foreign`."""
    return row("login", admin="ok", outsider=foreign, everyone_else=403)


def public(post="ok"):
    return {"GET": row("ok", everyone_else="ok"), "POST": row(post, everyone_else=post)}


AUDIT_READERS = {"admin": "ok", "quality": "ok", "ni": "ok", "outsider": "ok"}

MATRIX = {
    "home": {"GET": row("login", everyone_else="ok"), "POST": row("login", everyone_else=405)},
    "health": {"GET": row("ok", everyone_else="ok"), "POST": row(405, everyone_else=405)},
    "login": public(),
    "logout": {"GET": row(405, everyone_else=405), "POST": row("login", everyone_else="login")},
    "password_change": {"GET": row("login", everyone_else="ok"), "POST": row("login", everyone_else="ok")},
    "password_change_done": {"GET": row("login", everyone_else="ok"), "POST": row("login", everyone_else=405)},
    "password_reset": public(),
    "password_reset_done": public(post=405),
    "password_reset_confirm": public(),
    "password_reset_complete": public(post=405),
    "invite_accept": public(),
    # Two-factor pages: for everyone signed in (verified sessions are sent on; the others see the page).
    "two_factor_verify": {"GET": row("login", everyone_else="ok"), "POST": row("login", everyone_else="ok")},
    "two_factor_setup": {"GET": row("login", everyone_else="ok"), "POST": row("login", everyone_else="ok")},
    "two_factor_settings": {"GET": row("login", everyone_else="ok"), "POST": row("login", everyone_else="ok")},
    "organisation_security": {"GET": admin_only(foreign="ok"), "POST": admin_only(foreign="ok")},
    "person_reset_two_factor": {"GET": admin_only(foreign=404), "POST": admin_only(foreign=404)},
    "switch_organisation": {
        "GET": row("login", everyone_else=405),
        "POST": row("login", outsider=404, everyone_else="ok"),
    },
    "audit_log": {
        "GET": row("login", **AUDIT_READERS, everyone_else=403),
        "POST": row("login", **dict.fromkeys(AUDIT_READERS, 405), everyone_else=403),
    },
    "location_list": {
        "GET": admin_only(foreign="ok"),
        "POST": row("login", admin=405, outsider=405, everyone_else=403),
    },
    "location_add": {"GET": admin_only(foreign="ok"), "POST": admin_only(foreign="ok")},
    "location_edit": {"GET": admin_only(foreign=404), "POST": admin_only(foreign=404)},
    "location_archive": {"GET": admin_only(foreign=404), "POST": admin_only(foreign=404)},
    "location_restore": {"GET": admin_only(foreign=404), "POST": admin_only(foreign=404)},
    "people_list": {"GET": admin_only(foreign="ok"), "POST": row("login", admin=405, outsider=405, everyone_else=403)},
    "person_invite": {"GET": admin_only(foreign="ok"), "POST": admin_only(foreign="ok")},
    "person_edit": {"GET": admin_only(foreign=404), "POST": admin_only(foreign=404)},
    "person_deactivate": {"GET": admin_only(foreign=404), "POST": admin_only(foreign=404)},
    "person_reactivate": {"GET": admin_only(foreign=404), "POST": admin_only(foreign=404)},
    "person_resend_invitation": {"GET": admin_only(foreign=404), "POST": admin_only(foreign=404)},
}


ROW_MODULES = [
    "governance.tests.matrix_dashboard",
    "governance.tests.matrix_plans",
    "governance.tests.matrix_actions",
    "evidence.tests.matrix_evidence",
    "evidence.tests.matrix_measures",
    "governance.tests.matrix_signoff",
    "governance.tests.matrix_checks",
    "governance.tests.matrix_plan_closure",
    "governance.tests.matrix_reviews",
    "governance.tests.matrix_oversight",
    "governance.tests.matrix_notifications",
    "governance.tests.matrix_exports",
    "governance.tests.matrix_packs",
]


def row_modules():
    modules = []
    for name in ROW_MODULES:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
    return modules


def all_rows():
    rows = dict(MATRIX)
    for module in row_modules():
        clash = set(rows) & set(module.ROWS)
        assert not clash, f"{module.__name__} repeats rows {clash}"
        rows.update(module.ROWS)
    return rows


def all_kwargs(world):
    merged = {}
    for module in row_modules():
        merged.update(getattr(module, "kwargs", lambda world: {})(world))
    return merged


def all_post_data(world):
    merged = {}
    for module in row_modules():
        merged.update(getattr(module, "post_data", lambda world: {})(world))
    return merged
