"""The plan form: what qip.plan_services.create_plan / update_plan take.

The form checks what a person typed (required, dates, choices); the service checks
the rest (owner, locations, framework, dates in order) and its messages are put
beside the fields by the view.
"""

from django import forms

from governance import selectors_plans as selectors
from qip import selectors as qip_selectors
from qip.forms import ModelMultipleChoiceField
from qip.models import PlanSource, QualityArea, ReviewCadence

LIKELIHOOD = [(1, "1 – Rare"), (2, "2 – Unlikely"), (3, "3 – Possible"), (4, "4 – Likely"), (5, "5 – Almost certain")]
IMPACT = [(1, "1 – Negligible"), (2, "2 – Minor"), (3, "3 – Moderate"), (4, "4 – Major"), (5, "5 – Catastrophic")]


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _text(rows=3):
    return forms.Textarea(attrs={"rows": rows})


class PeopleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name()


class StatementChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, statement):
        return statement.name


class PlanForm(forms.Form):
    reference = forms.CharField(
        label="Reference (optional)",
        max_length=30,
        required=False,
        help_text="Leave blank for the next number, for example QIP-2026-014.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    title = forms.CharField(max_length=200, error_messages={"required": "Enter a short title for the plan."})
    problem_statement = forms.CharField(
        widget=_text(4),
        help_text="What is wrong, how you know and who it affects.",
        error_messages={"required": "Describe the problem the plan puts right."},
    )
    source = forms.ChoiceField(
        choices=[("", "Choose where it came from")] + PlanSource.choices,
        error_messages={"required": "Choose where the problem came from."},
    )
    source_reference = forms.CharField(
        label="Source reference (optional)",
        max_length=100,
        required=False,
        help_text="For example the inspection report number or complaint reference.",
    )
    source_date = forms.DateField(
        label="Source date (optional)",
        required=False,
        widget=_date_input(),
        error_messages={"invalid": "Enter the date as day, month and year, for example 3/11/2026."},
    )
    root_causes = forms.CharField(
        label="Root causes and contributory factors (optional)", widget=_text(), required=False
    )
    priority_rationale = forms.CharField(label="Why this is a priority (optional)", widget=_text(), required=False)
    quality_area = forms.ChoiceField(
        choices=[("", "Choose a quality area")] + QualityArea.choices,
        error_messages={"required": "Choose the quality area."},
    )
    risk_likelihood = forms.TypedChoiceField(
        label="Risk likelihood",
        coerce=int,
        choices=[("", "Choose a likelihood")] + LIKELIHOOD,
        error_messages={"required": "Choose a likelihood from 1 (rare) to 5 (almost certain)."},
    )
    risk_impact = forms.TypedChoiceField(
        label="Risk impact",
        coerce=int,
        choices=[("", "Choose an impact")] + IMPACT,
        help_text="The risk score is likelihood × impact: 15 or more is high.",
        error_messages={"required": "Choose an impact from 1 (negligible) to 5 (catastrophic)."},
    )
    owner = PeopleChoiceField(
        label="Owner",
        queryset=None,
        empty_label="Choose the owner",
        help_text="One person accountable for the plan: a registered manager, quality lead or nominated individual.",
        error_messages={"required": "Choose the plan owner: one person accountable for the plan."},
    )
    locations = ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one location."},
    )
    quality_statements = StatementChoiceField(
        label="CQC quality statements", queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    regulations = ModelMultipleChoiceField(
        label="Regulations", queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    review_cadence = forms.ChoiceField(
        choices=ReviewCadence.choices,
        initial=ReviewCadence.MONTHLY,
        help_text="How often the plan is reviewed; the next review date follows from it.",
    )
    target_date = forms.DateField(
        label="Target date (optional)",
        required=False,
        widget=_date_input(),
        error_messages={"invalid": "Enter the date as day, month and year, for example 3/11/2026."},
    )

    def __init__(self, *args, user, organisation, plan=None, **kwargs):
        self.plan = plan
        linked = {"locations": [], "quality_statements": [], "regulations": []}
        if plan is not None:
            linked = {field: list(getattr(plan, field).all()) for field in linked}
            kwargs.setdefault("initial", self.initial_for(plan, linked))
        super().__init__(*args, **kwargs)
        if plan is not None:
            del self.fields["reference"]  # fixed once the plan exists
        shown_locations = qip_selectors.location_choices(
            user=user, organisation=organisation, include=[location.pk for location in linked["locations"]]
        )
        self.fields["locations"].queryset = shown_locations
        # Locations on the plan that this user cannot see stay on it: the form cannot show them.
        visible = {location.pk for location in shown_locations}
        self.kept_locations = [location for location in linked["locations"] if location.pk not in visible]
        self.fields["locations"].required = not self.kept_locations
        if self.kept_locations:
            names = ", ".join(location.name for location in self.kept_locations)
            self.fields["locations"].help_text = f"The plan also covers {names}, which you do not work at; that stays."
        self.fields["owner"].queryset = selectors.plan_owner_choices(
            user=user, organisation=organisation, include=plan.owner if plan is not None else None
        )
        self.fields["quality_statements"].queryset = selectors.quality_statements_for_picker(
            include=[statement.pk for statement in linked["quality_statements"]]
        )
        self.fields["regulations"].queryset = selectors.regulations_for_picker(
            include=[regulation.pk for regulation in linked["regulations"]]
        )

    @staticmethod
    def initial_for(plan, linked):
        fields = (
            "title",
            "problem_statement",
            "source",
            "source_reference",
            "source_date",
            "root_causes",
            "priority_rationale",
            "quality_area",
            "risk_likelihood",
            "risk_impact",
            "owner",
            "review_cadence",
            "target_date",
        )
        return {**{field: getattr(plan, field) for field in fields}, **linked}

    def statement_groups(self):
        """[(key question, [checkbox, ...]), ...]: the statement checkboxes under their key question."""
        groups = {}
        for checkbox in self["quality_statements"]:
            key_question = checkbox.data["value"].instance.key_question
            groups.setdefault(key_question, []).append(checkbox)
        return list(groups.items())

    def clean(self):
        cleaned = super().clean()
        if "locations" in cleaned:
            cleaned["locations"] = list(cleaned["locations"]) + self.kept_locations
        return cleaned

    def service_fields(self):
        """cleaned_data as the service's keyword arguments (a blank reference means "the next one")."""
        fields = dict(self.cleaned_data)
        if "reference" in fields and not fields["reference"].strip():
            fields["reference"] = None
        return fields
