"""Forms for the organisation admin screens: locations and people.

Forms check what a person typed and give messages beside the field; the
services (qip/services.py) make the change and audit it.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Value
from django.db.models.functions import Lower

from qip import services
from qip.forms import ModelMultipleChoiceField
from qip.models import Location, Membership, Role, ServiceType
from qip.validators import normalise_postcode, validate_cqc_id, validate_postcode


def add_service_errors(form, error):
    """Show a service's ValidationError on the form: beside the field it names, else above the form."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class LocationForm(forms.Form):
    name = forms.CharField(
        max_length=200,
        error_messages={"required": "Enter the location's name."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    service_type = forms.ChoiceField(
        choices=[("", "Choose a service type")] + ServiceType.choices,
        error_messages={"required": "Choose a service type."},
    )
    cqc_location_id = forms.CharField(
        label="CQC location ID (optional)",
        max_length=20,
        required=False,
        help_text="As on the location's CQC profile, for example 1-123456789.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    postcode = forms.CharField(
        error_messages={"required": "Enter the postcode, for example LS1 4AP."},
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "class": "input-postcode"}),
    )

    def __init__(self, *args, organisation, location=None, **kwargs):
        self.organisation = organisation
        self.location = location
        if location is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": location.name,
                    "service_type": location.service_type,
                    "cqc_location_id": location.cqc_location_id,
                    "postcode": location.postcode,
                },
            )
        super().__init__(*args, **kwargs)

    def _others(self):
        others = Location.objects.filter(organisation=self.organisation)
        if self.location is not None:
            others = others.exclude(pk=self.location.pk)
        return others

    def clean_name(self):
        name = self.cleaned_data["name"]
        clash = self._others().alias(lower_name=Lower("name")).filter(lower_name=Lower(Value(name))).first()
        if clash:
            where = " (archived)" if clash.is_archived else ""
            raise ValidationError(f"There is already a location called {clash.name}{where}. Choose another name.")
        return name

    def clean_cqc_location_id(self):
        value = self.cleaned_data["cqc_location_id"].replace(" ", "")
        validate_cqc_id(value)
        if value:
            clash = self._others().filter(cqc_location_id=value).first()
            if clash:
                raise ValidationError(f"{clash.name} already has the CQC location ID {value}.")
        return value

    def clean_postcode(self):
        value = normalise_postcode(self.cleaned_data["postcode"])
        validate_postcode(value)
        return value


class LocationChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, location):
        return f"{location.name} (archived)" if location.is_archived else location.name


class MembershipForm(forms.Form):
    """Role, locations and the admin flag: shared by the invitation and the edit screen."""

    role = forms.ChoiceField(
        choices=[("", "Choose a role")] + Role.choices,
        error_messages={"required": "Choose a role."},
        help_text="Staff and registered managers work at their locations; quality leads and nominated "
        "individuals oversee the organisation; viewers (for example a commissioner) can only read.",
    )
    locations = LocationChoiceField(
        queryset=Location.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave every box unticked to give access to all locations, including ones added later.",
    )
    is_org_admin = forms.BooleanField(
        label="Organisation admin",
        required=False,
        help_text="Organisation admins add and change people and locations.",
    )

    def __init__(self, *args, location_choices, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["locations"].queryset = location_choices

    def clean(self):
        cleaned = super().clean()
        if "role" in cleaned and "locations" in cleaned:
            problems = services.scope_problems(
                organisation=self.organisation,
                role=cleaned["role"],
                locations=list(cleaned["locations"]),
                is_org_admin=cleaned.get("is_org_admin", False),
            )
            for field, message in problems.items():
                self.add_error(field, message)
        return cleaned


class InviteForm(MembershipForm):
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        error_messages={
            "required": "Enter their e-mail address.",
            "invalid": "Enter an e-mail address like name@example.org.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    full_name = forms.CharField(
        max_length=150,
        error_messages={"required": "Enter their full name."},
        help_text="If they already have an account (for example with another organisation), their own name is kept.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    field_order = ["email", "full_name", "role", "locations", "is_org_admin"]

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        existing = Membership.objects.filter(organisation=self.organisation, user__email__iexact=email).first()
        if existing and not existing.is_active:
            raise ValidationError(
                "This person is already a member of this organisation but is deactivated. "
                "Reactivate them from the People page instead."
            )
        if existing:
            raise ValidationError("This person is already a member of this organisation.")
        return email


class DeactivateForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the audit log, for example “Left the organisation”.",
    )
