"""The form that asks for a commissioner pack: what it covers, the period, and its two options."""

from datetime import timedelta

from django import forms

from governance import services_packs
from governance.models import PackScope
from qip.forms import ModelMultipleChoiceField
from qip.plan_services import uk_today


class LocationChoices(ModelMultipleChoiceField):
    def label_from_instance(self, location):
        return f"{location.name} (archived)" if location.archived_at else location.name


class PlanChoices(ModelMultipleChoiceField):
    def label_from_instance(self, plan):
        return f"{plan.reference}: {plan.title} ({plan.get_status_display().lower()})"


class PackForm(forms.Form):
    scope = forms.ChoiceField(
        label="The pack covers",
        choices=PackScope.choices,
        initial=PackScope.ORGANISATION,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the pack covers.", "invalid_choice": "Choose what the pack covers."},
    )
    locations = LocationChoices(
        label="Locations",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="For “Chosen locations”: the plans at these locations, with only the actions and evidence from them.",
        error_messages=dict.fromkeys(("invalid_choice", "invalid_pk_value"), "Choose locations from the list."),
    )
    plans = PlanChoices(
        label="Plans",
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="For “Chosen plans”. Hold Ctrl (or ⌘) to choose more than one.",
        error_messages=dict.fromkeys(("invalid_choice", "invalid_pk_value"), "Choose plans from the list."),
    )
    date_from = forms.DateField(
        label="Period from",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Enter the first day of the period.", "invalid": "Enter a date, like 1/4/2026."},
    )
    date_to = forms.DateField(
        label="Period to",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Plans live at some time in the period are included; closures and reopenings in it are counted.",
        error_messages={"required": "Enter the last day of the period.", "invalid": "Enter a date, like 31/3/2027."},
    )
    include_closed = forms.BooleanField(label="Include closed plans", required=False, initial=True)
    redact = forms.BooleanField(
        label="Leave out names of people who use the service",
        required=False,
        initial=True,
        help_text="Names in the “people named” field of evidence and concerns are printed as “[name withheld]”.",
    )

    def __init__(self, *args, locations, plans, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["locations"].queryset = locations
        self.fields["plans"].queryset = plans
        today = uk_today()
        self.fields["date_from"].initial = today - timedelta(days=365)
        self.fields["date_to"].initial = today

    def clean(self):
        # The service checks again; asking here too shows every problem at once, dates included.
        data = super().clean()
        for field, message in services_packs.choice_problems(
            data.get("scope"), data.get("locations"), data.get("plans")
        ).items():
            if field not in self.errors:
                self.add_error(field, message)
        return data

    def service_fields(self):
        data = self.cleaned_data
        return {
            "scope": data["scope"],
            "locations": list(data["locations"]) if data["scope"] == PackScope.LOCATIONS else [],
            "plans": list(data["plans"]) if data["scope"] == PackScope.PLANS else [],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "include_closed": data["include_closed"],
            "redact": data["redact"],
        }
