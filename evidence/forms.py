"""Forms for the evidence screens: they check what a person typed and put messages beside the field.

evidence.services makes the change. The files field cleans to CheckedFiles (evidence.files), so an
image is decoded and re-encoded once, here, outside the service's transaction.
"""

from django import forms
from django.utils import timezone

from evidence import selectors
from evidence.files import ALLOWED_DESCRIPTION, check_count, check_upload, max_files_per_upload, max_upload_bytes
from evidence.models import EvidenceKind, Purpose
from qip import permissions
from qip.models import EvidenceCategory

# A short hint for each of the six CQC evidence categories (single assessment framework), by slug.
CATEGORY_HINTS = {
    "peoples-experience": "what people who use the service and their families say: surveys, "
    "compliments, complaints, conversations",
    "feedback-staff-leaders": "what staff and managers say: supervisions, team meetings, staff surveys",
    "feedback-partners": "what GPs, nurses, social workers, commissioners or pharmacists say",
    "observation": "care seen as it happens: observations of practice, spot checks, walk-rounds",
    "processes": "audits, records, policies, governance minutes, training data",
    "outcomes": "results for people: falls, weight, infections, hospital admissions, incidents over time",
}

PURPOSE_CHOICES = [
    (
        Purpose.ASSURANCE,
        "Assurance — shows practice has changed (an audit, an observation, feedback)",
    ),
    (
        Purpose.ACTIVITY,
        "Activity — shows a task happened (training attended, policy updated); listed but never counts toward closure",
    ),
]

ACCEPT = ".pdf,.docx,.xlsx,.pptx,.odt,.ods,.png,.jpg,.jpeg,.gif,.txt,.csv"


def readable_size(size):
    """20971520 → "20 MB"; 1536 → "1.5 KB" (the limit as people read it)."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        hint = CATEGORY_HINTS.get(obj.slug)
        return f"{obj.name} — {hint}" if hint else obj.name


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name()


class StepChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"Step {obj.order + 1}: {obj.what[:100]}"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django docs, "Uploading multiple files"); cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single_file_clean = super().clean
        if isinstance(data, list | tuple):
            return [single_file_clean(item, initial) for item in data if item]
        cleaned = single_file_clean(data, initial)
        return [cleaned] if cleaned else []


class EvidenceForm(forms.Form):
    title = forms.CharField(
        max_length=200,
        error_messages={"required": "Give the evidence a title, for example “MAR audit, 10 charts, week of 3 Nov”."},
    )
    category = CategoryChoiceField(
        label="CQC evidence category",
        queryset=EvidenceCategory.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Choose one of the CQC evidence categories."},
    )
    kind = forms.ChoiceField(
        label="Kind of evidence",
        choices=[("", "Choose a kind")] + EvidenceKind.choices,
        error_messages={"required": "Choose what kind of evidence this is."},
    )
    purpose = forms.ChoiceField(
        label="What does it show?",
        choices=PURPOSE_CHOICES,
        widget=forms.RadioSelect,
        help_text="Only assurance evidence counts toward closing the action.",
        error_messages={
            "required": "Say whether this shows practice has changed (assurance) or that a task happened (activity)."
        },
    )
    collected_on = forms.DateField(
        label="Date collected",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Give the date it was collected.",
            "invalid": "Give the date it was collected, for example 3/11/2026.",
        },
    )
    collected_by = PersonChoiceField(
        label="Collected by",
        queryset=None,
        empty_label=None,
        error_messages={"required": "Choose who collected it.", "invalid_choice": "Choose who collected it."},
    )
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="What it shows, with numbers where there are some, for example “10 of 10 charts signed”.",
    )
    recorded_where = forms.CharField(
        label="Where the original is recorded",
        max_length=200,
        required=False,
        help_text="For example “Medicines audit folder, office 2” or “Care planning system, audits tab”.",
    )
    people_named = forms.CharField(
        label="Names of people who use the service (optional)",
        max_length=300,
        required=False,
        help_text="Anyone who uses the service named in this evidence. Keep names out of the title and summary: "
        "these names are left out of redacted packs.",
    )
    assures_step = StepChoiceField(
        label="The step it assures (optional)",
        queryset=None,
        required=False,
        empty_label="Not one step in particular",
        help_text="Choose the step whose work this evidence tests, if it tests one step.",
        error_messages={"invalid_choice": "Choose one of this action's steps."},
    )
    location = forms.ModelChoiceField(
        label="Location",
        queryset=None,
        required=False,
        error_messages={"invalid_choice": "Choose one of the plan's locations."},
    )
    files = MultipleFileField(
        label="Files (optional)",
        required=False,
        error_messages={"empty": "That file is empty. Choose the file again, or another file."},
    )

    def __init__(self, *args, user, organisation, action=None, plan=None, **kwargs):
        self.action = action
        self.plan = plan if action is None else action.plan
        location = action.location if action is not None else None
        kwargs.setdefault("initial", {"collected_on": timezone.localdate(), "collected_by": user.pk})
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = EvidenceCategory.objects.filter(framework__is_current=True).order_by("order")
        self.fields["collected_by"].queryset = selectors.collector_choices(user, organisation, location=location)
        self.fields["files"].help_text = (
            f"Choose up to {max_files_per_upload()} files, each up to {readable_size(max_upload_bytes())}: "
            f"{ALLOWED_DESCRIPTION}. "
            "If the original is on paper, leave this empty and say where it is kept."
        )
        if action is not None:
            self.fields["assures_step"].queryset = action.steps.order_by("order", "pk")
            del self.fields["location"]
            if not action.steps.exists():
                del self.fields["assures_step"]
        else:
            del self.fields["assures_step"]
            self._plan_location(user, organisation)
        self.order_fields(
            [
                "title",
                "category",
                "kind",
                "purpose",
                "collected_on",
                "collected_by",
                "location",
                "assures_step",
                "summary",
                "recorded_where",
                "people_named",
                "files",
            ]
        )

    def _plan_location(self, user, organisation):
        """Plan evidence: where it is from. Someone who works at listed locations must choose one of them."""
        field = self.fields["location"]
        field.queryset = selectors.plan_location_choices(user, organisation, self.plan)
        membership = permissions.membership_in(user, organisation)
        limited = bool(membership and membership.location_ids)
        field.required = limited
        field.error_messages["required"] = "Choose the location this evidence is from."
        if limited:
            field.empty_label = None
            field.help_text = "The location this evidence is from."
        else:
            field.empty_label = "The whole plan (all its locations)"
            field.help_text = "Leave as the whole plan when the evidence is not from one location."

    def clean_title(self):
        return self.cleaned_data["title"].strip()

    def clean_files(self):
        """The files as CheckedFiles, or every refused file named at once."""
        files = self.cleaned_data["files"]
        check_count(files)
        checked, problems = [], []
        for upload in files:
            try:
                checked.append(check_upload(upload))
            except forms.ValidationError as error:
                problems.extend(error.messages)
        if problems:
            raise forms.ValidationError(problems)
        return checked

    def clean_collected_on(self):
        value = self.cleaned_data["collected_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("The date collected cannot be in the future.")
        return value


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why is this evidence being withdrawn?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="For example “uploaded to the wrong action” or “audit sheet was incomplete”. "
        "The evidence and its files are kept and shown as withdrawn.",
        error_messages={"required": "Say why this evidence is being withdrawn; the evidence itself is kept."},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why this evidence is being withdrawn; the evidence itself is kept.")
        return reason
