"""Forms for the action screens. They check what was typed; the services make the change and audit it.

The wording lint runs as the manager types: the title and each step's "what" post to
`wording_check` (htmx), which shows the findings under the field. Without JavaScript the
service's message asks for a reason after the form is sent.
"""

import json
import re

from django import forms
from django.urls import reverse_lazy

from actions.lint import NOT_CHECKED, lint_wording
from actions.models import ApprovalLevel, StabilityRule
from actions.services import HIGH_RISK_FLOOR_MESSAGE, OFFSETS_MESSAGE
from evidence.models import ConcernKind, Direction, Frequency
from qip.models import Location, User

HIGH_RISK_APPROVAL_LABEL = "Nominated individual (required for high-risk actions)"
REASON_HELP = (
    "The wording above was flagged as weak. If you keep it, say why: the reason and the findings are kept "
    "in the action's history."
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _textarea(rows=2, **attrs):
    return forms.Textarea(attrs={"rows": rows, **attrs})


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.email


def lint_attrs(bound_field, kind):
    """htmx attributes that check a field's wording as the person types; the findings go under it."""
    return {
        "hx-post": reverse_lazy("wording_check"),
        "hx-trigger": "keyup changed delay:600ms",
        "hx-target": f"#{bound_field.auto_id}-findings",
        "hx-vals": json.dumps({"lint": bound_field.html_name, "kind": kind}),
        "hx-sync": "this:replace",
    }


def findings_for(data, name, kind, prefix=""):
    """Lint findings for the field `name` of posted `data`, with the structural checks the service makes.

    A field that is not on the posted form (owner, who, due date) is not checked.
    """
    text = data.get(name, "")
    if kind == "step":
        who = NOT_CHECKED
        if f"{prefix}who" in data or f"{prefix}who_role" in data:
            who = data.get(f"{prefix}who") or data.get(f"{prefix}who_role") or ""
        due = (data.get(f"{prefix}due_date") or None) if f"{prefix}due_date" in data else NOT_CHECKED
        return lint_wording(text, kind="step", who=who, due_date=due)
    owner = (data.get("owner") or None) if "owner" in data else NOT_CHECKED
    due = (data.get("due_date") or None) if "due_date" in data else NOT_CHECKED
    return lint_wording(text, kind="action", owner=owner, due_date=due)


class WordingReasonForm(forms.Form):
    wording_reason = forms.CharField(
        label="Reason to keep this wording",
        required=False,
        max_length=1000,
        widget=_textarea(2),
        help_text=REASON_HELP,
    )


# Actions


class ActionForm(WordingReasonForm):
    """The action's own fields (update_action's); ActionCreateForm adds the location."""

    title = forms.CharField(
        max_length=300,
        widget=_textarea(2),
        help_text="Operational wording: who does what, how often, where it is recorded and the target.",
        error_messages={"required": "Give the action a title."},
    )
    owner = PersonChoiceField(
        queryset=User.objects.none(),
        empty_label="Choose the owner",
        help_text="One person accountable for the action.",
        error_messages={"required": "Choose the action owner: one person accountable for it."},
    )
    due_date = forms.DateField(required=False, widget=DateInput())
    baseline_issue = forms.CharField(
        required=False, widget=_textarea(2), help_text="What was found, with numbers if you have them."
    )
    measurable_improvement = forms.CharField(
        required=False, widget=_textarea(2), help_text="What will be different, and how it will be measured."
    )
    high_risk = forms.BooleanField(
        label="High-risk action",
        required=False,
        help_text="High-risk actions (medicines, safeguarding, staffing, leadership) are signed off by a "
        "nominated individual.",
    )
    high_risk_reason = forms.CharField(label="Why it is high risk", required=False, max_length=200)
    what_can_go_wrong = forms.CharField(required=False, widget=_textarea(2))
    early_warning_signs = forms.CharField(required=False, widget=_textarea(2))
    escalation = forms.CharField(required=False, widget=_textarea(2), help_text="Who is told, and when.")
    monitoring = forms.CharField(required=False, widget=_textarea(2), help_text="What is audited, by whom, how often.")
    reopen_triggers = forms.CharField(
        required=False,
        widget=_textarea(2),
        help_text="Incidents, complaints or findings that would mean the problem is back.",
    )

    field_order = [
        "location",
        "title",
        "owner",
        "due_date",
        "baseline_issue",
        "measurable_improvement",
        "high_risk",
        "high_risk_reason",
        "what_can_go_wrong",
        "early_warning_signs",
        "escalation",
        "monitoring",
        "reopen_triggers",
        "wording_reason",
    ]

    def __init__(self, *args, people, derived_high_risk=(False, ""), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people
        self.fields["title"].widget.attrs.update(lint_attrs(self["title"], "action"))
        derived, reason = derived_high_risk
        self.derived_high_risk = derived
        if derived:
            # The plan makes it high-risk: shown, and not lowerable here.
            field = self.fields["high_risk"]
            field.disabled = True
            field.initial = True
            field.help_text = f"Set from the plan: {reason} High-risk actions are signed off by a nominated individual."
        self.wording_findings = None

    @property
    def findings_id(self):
        return f"{self['title'].auto_id}-findings"

    def is_high_risk(self):
        """The high-risk flag as shown on the form (bound or not)."""
        return bool(self["high_risk"].value())

    def lint(self):
        """Wording findings for the posted title (None before anything was posted)."""
        if self.is_bound and (self.data.get(self.add_prefix("title")) or "").strip():
            self.wording_findings = findings_for(self.data, self.add_prefix("title"), "action")
        return self.wording_findings

    def action_values(self):
        """update_action's fields as cleaned (the location and the wording reason are not among them)."""
        return {name: self.cleaned_data[name] for name in self.fields if name not in ("location", "wording_reason")}


class ActionCreateForm(ActionForm):
    location = forms.ModelChoiceField(
        queryset=None,
        empty_label=None,
        help_text="One location: a plan that spans houses has an action per house.",
        error_messages={"required": "Choose one of the plan's locations."},
    )

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.filter(pk__in=[location.pk for location in locations])
        if len(locations) != 1:
            self.fields["location"].empty_label = "Choose a location"


# Steps


class StepForm(forms.Form):
    what = forms.CharField(
        label="What is done",
        widget=_textarea(2),
        error_messages={"required": "Say what is done."},
        help_text="How many or how often, and where the result is written down.",
    )
    who = PersonChoiceField(queryset=User.objects.none(), required=False, empty_label="Nobody named yet")
    who_role = forms.CharField(
        label="Role words", required=False, max_length=100, help_text="For example 'senior carer'."
    )
    due_date = forms.DateField(required=False, widget=DateInput())
    recorded_where = forms.CharField(
        label="Where it is recorded",
        required=False,
        max_length=200,
        help_text="For example 'practice competency log'.",
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["who"].queryset = people
        self.fields["what"].widget.attrs.update(lint_attrs(self["what"], "step"))
        self.wording_findings = None

    @property
    def findings_id(self):
        return f"{self['what'].auto_id}-findings"

    def lint(self):
        if self.is_bound and (self.data.get(self.add_prefix("what")) or "").strip():
            self.wording_findings = findings_for(self.data, self.add_prefix("what"), "step", self.add_prefix(""))
        return self.wording_findings

    def step_values(self):
        return {name: self.cleaned_data[name] for name in ("what", "who", "who_role", "due_date", "recorded_where")}


class BaseStepFormSet(forms.BaseFormSet):
    def steps(self):
        """(form, values) for each row that was filled in, in order."""
        return [(form, form.step_values()) for form in self.forms if form.has_changed() and form.cleaned_data]


StepFormSet = forms.formset_factory(
    StepForm, formset=BaseStepFormSet, extra=3, max_num=40, validate_max=True, absolute_max=40
)


class StepAddForm(StepForm, WordingReasonForm):
    """One new step, from the action page or its own page (names without a prefix)."""

    field_order = ["what", "who", "who_role", "due_date", "recorded_where", "wording_reason"]


# The measure


class MeasureForm(forms.Form):
    name = forms.CharField(
        label="Measure",
        max_length=200,
        help_text="What is counted, for example 'MAR entries signed at the time of administration'.",
        error_messages={"required": "Name the measure that will show the improvement."},
    )
    unit = forms.CharField(required=False, max_length=20, help_text="For example % or 'falls'.")
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.HIGHER, widget=forms.RadioSelect)
    target = forms.FloatField(error_messages={"required": "Give the target as a number, for example 95."})
    baseline_value = forms.FloatField(required=False, help_text="Where it stands now, if known.")
    baseline_date = forms.DateField(required=False, widget=DateInput())
    frequency = forms.ChoiceField(choices=Frequency.choices, initial=Frequency.WEEKLY)
    data_source = forms.CharField(
        required=False, max_length=200, help_text="Where the numbers come from, for example 'weekly MAR audit'."
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("baseline_value") is not None
            and not cleaned.get("baseline_date")
            and not self.has_error("baseline_date")
        ):
            self.add_error("baseline_date", "Give the date of the baseline value.")
        return cleaned


# Closure criteria


class CriteriaForm(forms.Form):
    min_evidence_categories = forms.IntegerField(
        label="Evidence categories needed",
        initial=2,
        min_value=1,
        max_value=6,
        help_text="Distinct CQC evidence categories among the assurance evidence (default 2).",
    )
    stability_rule = forms.ChoiceField(
        label="How the improvement must hold",
        choices=StabilityRule.choices,
        initial=StabilityRule.TARGET_HELD,
        widget=forms.RadioSelect,
    )
    window_days = forms.IntegerField(
        label="Window (days)",
        initial=56,
        min_value=7,
        max_value=365,
        help_text="Target held: every reading in this window meets the target.",
    )
    min_readings = forms.IntegerField(
        label="Readings needed", initial=4, min_value=1, max_value=52, help_text="Target held: at least this many."
    )
    spc_baseline_points = forms.IntegerField(
        label="Baseline points", initial=12, min_value=2, max_value=100, help_text="SPC: 12 or more gives firm limits."
    )
    spc_shift_run = forms.IntegerField(
        label="Shift run",
        initial=7,
        min_value=5,
        max_value=12,
        help_text="SPC: points in a row on one side of the mean (Making Data Count uses 7).",
    )
    spc_trend_run = forms.IntegerField(
        label="Trend run",
        initial=7,
        min_value=5,
        max_value=12,
        help_text="SPC: points rising or falling in a row (Making Data Count uses 7).",
    )
    approval_level = forms.ChoiceField(
        label="Who approves closure", choices=ApprovalLevel.choices, initial=ApprovalLevel.QUALITY_LEAD
    )
    post_closure_offsets = forms.CharField(
        label="Post-closure checks",
        initial="30, 90",
        help_text="Days after closure, separated by commas (for example 30, 90).",
    )

    def __init__(self, *args, high_risk=False, **kwargs):
        super().__init__(*args, **kwargs)
        if high_risk:
            field = self.fields["approval_level"]
            field.choices = [(ApprovalLevel.NOMINATED_INDIVIDUAL, HIGH_RISK_APPROVAL_LABEL)]
            field.initial = ApprovalLevel.NOMINATED_INDIVIDUAL
            field.disabled = True
            field.help_text = HIGH_RISK_FLOOR_MESSAGE

    def clean_post_closure_offsets(self):
        text = self.cleaned_data["post_closure_offsets"]
        parts = [part for part in re.split(r"[,\s]+", text.strip()) if part]
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        if not parts or not all(part.isdecimal() for part in parts):
            raise forms.ValidationError(OFFSETS_MESSAGE)
        return [int(part) for part in parts]


class StepDoneForm(forms.Form):
    """The optional note sent with a tick: checked like any field, so a posted NUL is refused, not stored."""

    note = forms.CharField(
        required=False,
        error_messages={"null_characters_not_allowed": "The note cannot contain a null character."},
    )


class StepUndoForm(forms.Form):
    reason = forms.CharField(
        label="Why is this step not done after all?",
        widget=_textarea(3),
        error_messages={"required": "Say why the step is not done after all."},
        help_text="Kept in the action's history. An action that was completed goes back to in progress.",
    )


class CriteriaChangeForm(CriteriaForm):
    """The agreed criteria, changed later: once the action has started a reason is required (and audited)."""

    reason = forms.CharField(
        label="Reason for the change",
        required=False,
        widget=_textarea(3),
        help_text="Required once the action has started. It is kept with the old and new values and shown "
        "wherever the criteria appear, including the commissioner pack.",
    )


# Closure request and concerns


class ClosureRequestForm(forms.Form):
    bau_monitoring_plan = forms.CharField(
        label="Business-as-usual monitoring plan",
        widget=_textarea(4),
        help_text="How the improvement stays under routine oversight after closure: what is checked, by whom, "
        "how often, and where it is reported.",
        error_messages={"required": "Write the business-as-usual monitoring plan."},
    )
    closure_learning = forms.CharField(
        label="Closure learning",
        widget=_textarea(4),
        help_text="What worked, and what got in the way.",
        error_messages={"required": "Write the closure learning: what worked and what got in the way."},
    )
    residual_risks = forms.CharField(
        required=False, widget=_textarea(3), help_text="Anything still to watch after closure."
    )


class ConcernForm(forms.Form):
    kind = forms.ChoiceField(
        label="What kind of concern",
        choices=[("", "Choose a kind")] + ConcernKind.choices,
        error_messages={"required": "Choose what kind of concern this is."},
    )
    occurred_on = forms.DateField(
        label="Date it happened",
        widget=DateInput(),
        error_messages={"required": "Give the date it happened.", "invalid": "Give the date it happened."},
    )
    summary = forms.CharField(
        label="What happened",
        widget=_textarea(4),
        help_text="Describe what happened without naming people who use the service; put names in the field below.",
        error_messages={"required": "Say what happened."},
    )
    people_named = forms.CharField(
        label="People named",
        required=False,
        max_length=300,
        help_text="Names of people who use the service go in this field only, so they can be left out of "
        "commissioner packs.",
    )
