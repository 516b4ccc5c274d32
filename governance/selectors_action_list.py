"""Reads for the action list and its export. Each starts from `Action.objects.for_user()`.

Overdue is worked out in the database (live and past its due date), so the filter, the
badge and the export all use the one rule, and the list costs the same queries at any length.
"""

from django.db.models import BooleanField, Case, Q, Value, When
from django.db.models.functions import Lower

from actions.models import Action, ActionStatus
from governance.selectors_plans import LIVE_STATUSES, uk_today
from qip.models import User

# The order an action moves through, so sorting by status follows the workflow rather than the alphabet.
STATUS_ORDER = [value for value, _label in ActionStatus.choices]


def actions_for_list(*, user, organisation, today=None):
    """The actions the user may see, with plan, location and owner, and is_overdue / status_rank annotated."""
    today = today or uk_today()
    overdue = Q(status__in=LIVE_STATUSES, due_date__lt=today)
    return (
        Action.objects.for_user(user, organisation)
        .select_related("plan", "location", "owner")
        .annotate(
            is_overdue=Case(When(overdue, then=Value(True)), default=Value(False), output_field=BooleanField()),
            status_rank=Case(*[When(status=value, then=Value(rank)) for rank, value in enumerate(STATUS_ORDER)]),
        )
    )


def owners_of_visible_actions(*, user, organisation):
    """Everyone who owns an action the user may see: the choices of the owner filter."""
    actions = Action.objects.for_user(user, organisation)
    return User.objects.filter(pk__in=actions.values("owner_id")).order_by(Lower("full_name"), "email")
