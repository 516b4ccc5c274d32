"""The three decisions on a closure request: approve (password and code again), challenge and reject (with a reason)."""

from django import forms

APPROVE, CHALLENGE, REJECT = "approve", "challenge", "reject"


class ApproveForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Signing needs your current password, so only you can sign as you.",
        error_messages={"required": "Enter your password to sign."},
    )
    code = forms.CharField(
        label="Code from your authenticator app",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text="The 6-digit code your app shows now (or a backup code): signing needs both, as signing in does.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reason, so the team knows what to do next."},
    )

    def __init__(self, *args, help_text="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = help_text


def decision_forms(data=None, decision=None, *, is_plan=False):
    """The three forms; only the one that was submitted is bound."""
    if is_plan:
        challenge_help = reject_help = "Returns the plan to open: say what is still needed."
    else:
        challenge_help = (
            "Returns the action to assurance: say what more is needed (evidence, a longer run of readings)."
        )
        reject_help = "Returns the action to in progress: say what work is not done."
    return {
        APPROVE: ApproveForm(data if decision == APPROVE else None, auto_id="approve-%s"),
        CHALLENGE: ReasonForm(
            data if decision == CHALLENGE else None,
            prefix=CHALLENGE,
            help_text=challenge_help,
        ),
        REJECT: ReasonForm(
            data if decision == REJECT else None,
            prefix=REJECT,
            help_text=reject_help,
        ),
    }
