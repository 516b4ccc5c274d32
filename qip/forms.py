from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import connection


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That e-mail address and password do not match an active account. "
        "Passwords are case-sensitive.",
        "inactive": "This account has been deactivated. Ask your organisation admin.",
    }


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's, but an id too big for a database integer is refused beside the field like any unknown id.

    Django checks the ids with `pk__in`, and SQLite cannot compare an integer beyond 64 bits: a posted
    "9223372036854775808" was a server error ("Python int too large to convert to SQLite INTEGER").
    """

    def _check_values(self, value):
        low, high = connection.ops.integer_field_range("BigIntegerField")
        for pk in value:
            try:
                number = int(pk)
            except (TypeError, ValueError):
                continue  # Django's own check names it
            if not low <= number <= high:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super()._check_values(value)
