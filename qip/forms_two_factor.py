"""Forms of two-factor sign-in: a code, and the password again before new backup codes."""

from django import forms


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6-digit code your authenticator app shows now, or one of your backup codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        error_messages={"required": "Enter the code from your authenticator app."},
    )


class SetupForm(CodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].max_length = 8
        self.fields["code"].help_text = "The 6-digit code the app shows once you have added the key."


class PasswordAgainForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password."},
    )


class OrganisationSecurityForm(forms.Form):
    require_two_factor = forms.BooleanField(
        label="Require two-factor sign-in for everyone",
        required=False,
        help_text="Nominated individuals, quality leads and admins always need it. With this, staff, registered "
        "managers and viewers are asked to set it up at their next sign-in.",
    )
