"""The oversight page's filters: a period and a location, sent by GET so the page can be bookmarked."""

from django import forms

from governance.selectors_oversight import DEFAULT_PERIOD, PERIODS


class LocationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, location):
        return f"{location.name} (archived)" if location.archived_at else location.name


class OversightFilterForm(forms.Form):
    period = forms.ChoiceField(
        label="Period",
        choices=[(value, label) for value, label, _days in PERIODS],
        required=False,
        initial=DEFAULT_PERIOD,
        help_text="Closures and reopenings in this period.",
        error_messages={"invalid_choice": "Choose one of the periods listed."},
    )
    location = LocationChoiceField(
        label="Location",
        queryset=None,
        required=False,
        empty_label="All your locations",
        error_messages={"invalid_choice": "Choose one of your locations."},
    )

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations

    def chosen(self):
        """(period, location): what the page shows; a choice that is not valid falls back to its default."""
        if not self.is_bound:
            return DEFAULT_PERIOD, None
        self.is_valid()
        return self.cleaned_data.get("period") or DEFAULT_PERIOD, self.cleaned_data.get("location")
