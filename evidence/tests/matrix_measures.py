"""Permission-matrix rows for the measure screens (MEASURES area).

Object URLs point at `world["action"]` (at `home`, with a measure): staff of home record readings,
registered managers and above also set the measure; the viewer and other manager (of branch) and
the outsider cannot see it (404); the organisation admin (a viewer) sees it but may not write (403).
"""

from datetime import timedelta

from django.utils import timezone

from qip.tests.permission_matrix import row

SEES_HOME = {"staff": "ok", "manager": "ok", "quality": "ok", "ni": "ok", "admin": "ok"}
HIDDEN = {"other_manager": 404, "viewer": 404, "outsider": 404}
MANAGERS = {"staff": 403, "manager": "ok", "quality": "ok", "ni": "ok", "admin": 403, **HIDDEN}
CONTRIBUTORS = {"staff": "ok", "manager": "ok", "quality": "ok", "ni": "ok", "admin": 403, **HIDDEN}

ROWS = {
    "measure_edit": {"GET": row("login", **MANAGERS), "POST": row("login", **MANAGERS)},
    "reading_add": {"GET": row("login", **CONTRIBUTORS), "POST": row("login", **CONTRIBUTORS)},
    "reading_list": {"GET": row("login", **SEES_HOME, **HIDDEN), "POST": row("login", everyone_else=405)},
}


def kwargs(world):
    action = {"action_pk": world["action"].pk}
    return {"measure_edit": action, "reading_add": action, "reading_list": action}


def post_data(world):
    """Valid changes, so an allowed POST goes through the service and redirects to the action."""
    measure = world["measure"]
    return {
        "measure_edit": {
            "name": "MAR entries signed at the time of administration (night rounds)",
            "unit": measure.unit,
            "direction": measure.direction,
            "target": measure.target,
            "frequency": measure.frequency,
            "data_source": measure.data_source,
        },
        "reading_add": {"period_end": (timezone.localdate() - timedelta(days=3)).isoformat(), "value": "97"},
    }
