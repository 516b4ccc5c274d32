"""The plan closure request: what is written when a whole plan is put forward for sign-off.

The rules (who may ask, every action closed, the texts written) live in governance.services; this
form only collects the answers, so an empty field is named beside it before the service is asked.
"""

from django import forms


def _textarea(rows):
    return forms.Textarea(attrs={"rows": rows})


class PlanClosureRequestForm(forms.Form):
    bau_monitoring_plan = forms.CharField(
        label="Business-as-usual monitoring plan",
        widget=_textarea(4),
        help_text="How the plan's improvements stay under routine oversight at every location after closure: "
        "what is checked, by whom, how often, and where it is reported.",
        error_messages={"required": "Write the business-as-usual monitoring plan."},
    )
    closure_learning = forms.CharField(
        label="Closure learning",
        widget=_textarea(4),
        help_text="What worked across the plan, and what got in the way.",
        error_messages={"required": "Write the closure learning: what worked and what got in the way."},
    )
    residual_risks = forms.CharField(
        required=False, widget=_textarea(3), help_text="Anything still to watch after the plan closes."
    )
