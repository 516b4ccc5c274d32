"""The oversight page's filters: a period and a location, sent by GET so the page can be bookmarked."""

from django import forms

from governance.selectors_oversight import DEFAULT_PERIOD, PERIODS


class LocationChoiceField(forms.TypedChoiceField):
    """One of the locations given, cleaned to the Location itself.

    A choice among locations already read (the page lists them too), not a ModelChoiceField: that reads
    them again to draw the options and once more to check the choice.
    """

    def __init__(self, *, empty_label, **kwargs):
        super().__init__(coerce=int, empty_value=None, **kwargs)
        self.empty_label = empty_label
        self.offered = {}

    def offer(self, locations):
        self.offered = {location.pk: location for location in locations}
        labels = [(location.pk, self.label_from_instance(location)) for location in self.offered.values()]
        self.choices = [("", self.empty_label), *labels]

    def label_from_instance(self, location):
        return f"{location.name} (archived)" if location.archived_at else location.name

    def clean(self, value):
        pk = super().clean(value)
        return None if pk is None else self.offered[pk]


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
        required=False,
        empty_label="All your locations",
        error_messages={"invalid_choice": "Choose one of your locations."},
    )

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].offer(locations)

    def chosen(self):
        """(period, location): what the page shows; a choice that is not valid falls back to its default."""
        if not self.is_bound:
            return DEFAULT_PERIOD, None
        self.is_valid()
        return self.cleaned_data.get("period") or DEFAULT_PERIOD, self.cleaned_data.get("location")
