"""Forms for the measure screens: a measure, and one reading.

They check what a person typed (numbers, dates) and give messages beside the
field; the services (evidence/services.py) check the rest, make the change and
audit it.
"""

from django import forms

from evidence.models import Direction, Frequency
from evidence.services import PERIOD_WORDS

DATE_INPUT = {"type": "date"}


def date_widget():
    return forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d")


class ReadingForm(forms.Form):
    period_end = forms.DateField(
        label="Period ending",
        widget=date_widget(),
        error_messages={
            "required": "Give the date the period ended.",
            "invalid": "Give the date the period ended as a date, for example 3/11/2026.",
        },
    )
    value = forms.FloatField(
        required=False,
        error_messages={"invalid": "Give the value as a number, for example 96."},
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    numerator = forms.IntegerField(
        label="Number that met the standard",
        required=False,
        min_value=0,
        error_messages={
            "invalid": "Give the number that met the standard as a whole number, 0 or more.",
            "min_value": "Give the number that met the standard as a whole number, 0 or more.",
        },
    )
    denominator = forms.IntegerField(
        label="Number checked",
        required=False,
        min_value=1,
        error_messages={
            "invalid": "Give the number checked as a whole number, 1 or more.",
            "min_value": "Give the number checked as a whole number, 1 or more.",
        },
    )
    note = forms.CharField(
        required=False,
        max_length=300,
        error_messages={"max_length": "Keep the note to 300 characters."},
        help_text="Optional: anything that explains this reading.",
    )

    def __init__(self, *args, measure, **kwargs):
        kwargs.setdefault("auto_id", "id_reading_%s")
        super().__init__(*args, **kwargs)
        self.measure = measure
        period = PERIOD_WORDS.get(measure.frequency, "period")
        self.fields["period_end"].help_text = f"The last day of the {period} this reading covers."
        self.fields["value"].label = f"Value ({measure.unit})" if measure.unit else "Value"
        self.fields["value"].help_text = "Or give the two numbers below and the percentage is worked out."


class MeasureForm(forms.Form):
    name = forms.CharField(
        label="What is measured",
        max_length=200,
        help_text="For example: MAR entries signed at the time of administration.",
        error_messages={"required": "Say what is measured."},
    )
    unit = forms.CharField(
        required=False, max_length=20, help_text="For example % or falls. Leave empty for a plain number."
    )
    direction = forms.ChoiceField(
        label="Which way is better",
        choices=Direction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether higher or lower is better."},
    )
    target = forms.FloatField(
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        error_messages={
            "required": "Give the target as a number, for example 95.",
            "invalid": "Give the target as a number, for example 95.",
        },
    )
    baseline_value = forms.FloatField(
        label="Baseline value",
        required=False,
        help_text="Where things stood before the action, if known.",
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        error_messages={"invalid": "Give the baseline as a number, or leave it empty."},
    )
    baseline_date = forms.DateField(
        label="Date of the baseline",
        required=False,
        widget=date_widget(),
        error_messages={"invalid": "Give the date of the baseline as a date, for example 3/11/2026."},
    )
    frequency = forms.ChoiceField(
        label="How often it is measured",
        choices=Frequency.choices,
        error_messages={"required": "Choose how often it is measured."},
    )
    data_source = forms.CharField(
        label="Where the numbers come from",
        required=False,
        max_length=200,
        help_text="For example: weekly MAR audit by the deputy manager.",
    )
    reason = forms.CharField(
        label="Reason for the change",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="This action has started: changing the target or which way is better needs a reason. "
        "The change and the reason are kept with the measure.",
    )

    def __init__(self, *args, measure=None, started=False, **kwargs):
        if measure is not None:
            initial = {field: getattr(measure, field) for field in self.base_fields if field != "reason"}
            for field in ("target", "baseline_value"):  # 95.0 is shown as 95
                if isinstance(initial[field], float) and initial[field].is_integer():
                    initial[field] = int(initial[field])
            kwargs.setdefault("initial", initial)
        else:
            kwargs.setdefault("initial", {"direction": Direction.HIGHER, "frequency": Frequency.WEEKLY})
        super().__init__(*args, **kwargs)
        if measure is None or not started:
            del self.fields["reason"]
