"""Reads for the plan's Closure section and the plan closure request page. Each starts from `for_user()`."""

from governance.models import ClosureRequest, Decision
from governance.selectors_plans import ASSURANCE, BAU, LIVE, NO_ACTIONS

# The order a manager reads the sentence in: what still needs work first.
NOT_YET = [(LIVE, "still live"), (ASSURANCE, "in assurance"), (NO_ACTIONS, "no actions yet")]


def location_summary(groups, *, plan_locations=None):
    """One sentence for the groups of selectors_plans.actions_by_location, e.g.
    "2 of 3 locations in business as usual; still live: Riverside.".

    A manager of some houses sees only theirs; `plan_locations` (how many the plan has) lets the
    sentence say so, since the plan closes only when every house is business as usual.
    """
    hidden = (plan_locations or 0) - len(groups)
    others = (
        f" The plan has {hidden} more location{'s' if hidden != 1 else ''} you do not work at." if hidden > 0 else ""
    )
    if not groups:
        return "The plan has no locations you can see." + others
    done = sum(group["state"] == BAU for group in groups)
    parts = [f"{done} of {len(groups)} location{'s' if len(groups) != 1 else ''} in business as usual"]
    for state, words in NOT_YET:
        names = [group["location"].name for group in groups if group["state"] == state]
        if names:
            parts.append(f"{words}: {', '.join(names)}")
    return "; ".join(parts) + "." + others


def pending_request(*, user, organisation, plan):
    """The plan's pending closure request, with who asked, or None."""
    return (
        ClosureRequest.objects.for_user(user, organisation)
        .pending()
        .filter(plan=plan)
        .select_related("requested_by")
        .first()
    )


def closing_signoff(signoffs):
    """The approval that closed the plan, from signoffs_for() (newest first), or None."""
    return next((signoff for signoff in signoffs if signoff.decision == Decision.APPROVED), None)
