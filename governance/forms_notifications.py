"""The notification settings form: for each optional kind, digest, at once or off.

The always-immediate kinds (sign-off requests, decisions, reopenings, audit-log failures) are not fields:
someone is waiting on the reader, or something they signed has changed, so nobody may turn them down.
"""

from django import forms

from governance.models import Channel
from governance.models_notifications import OPTIONAL_KINDS


def field_name(kind):
    return f"kind_{kind}"


class NotificationSettingsForm(forms.Form):
    def __init__(self, *args, channels, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in OPTIONAL_KINDS:
            self.fields[field_name(kind)] = forms.ChoiceField(
                label=kind.label,
                choices=Channel.choices,
                initial=channels.get(kind, Channel.DIGEST),
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                error_messages={
                    "required": f"Choose how “{kind.label}” reaches you.",
                    "invalid_choice": "Choose in the daily digest, e-mail at once, or off.",
                },
            )

    def clean(self):
        # Radios in a fieldset: each input of a group that failed says so to assistive technology.
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-invalid"] = "true"
        return super().clean()

    def channels(self):
        """{kind: channel} from the cleaned form."""
        return {kind: self.cleaned_data[field_name(kind)] for kind in OPTIONAL_KINDS}
