"""Forms for recording a post-closure check and for reopening a closed action.

The rules (evidence for holding, a note for deteriorated, a reason to reopen) live in
governance.services; these forms only collect the answers and show the services' messages.
"""

from django import forms

from governance.models import CheckResult, ReopenTrigger
from qip.plan_services import uk_date

RESULT_CHOICES = [
    (CheckResult.HOLDING, "Holding: the improvement has held"),
    (CheckResult.DETERIORATED, "Deteriorated: the action will be reopened"),
]


class EvidenceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, item):
        return f"{item.title} ({item.category.name}, collected {uk_date(item.collected_on)})"


class CheckRecordForm(forms.Form):
    result = forms.ChoiceField(
        label="What did the check find?",
        choices=RESULT_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Record the check as holding or deteriorated."},
    )
    evidence = EvidenceChoiceField(
        label="Evidence that the improvement is holding",
        queryset=None,
        required=False,
        empty_label=None,
        widget=forms.RadioSelect,
        help_text="Needed when the check is holding.",
        error_messages={"invalid_choice": "Choose the evidence that shows the improvement is holding."},
    )
    note = forms.CharField(
        label="What has deteriorated?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed when the check has deteriorated; optional when it is holding.",
    )

    def __init__(self, *args, evidence_items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = evidence_items


class ReopenForm(forms.Form):
    trigger = forms.ChoiceField(
        label="What led to reopening?",
        choices=ReopenTrigger.choices,
        widget=forms.RadioSelect,
        initial=ReopenTrigger.JUDGEMENT,
        error_messages={"required": "Say what led to reopening."},
    )
    reason = forms.CharField(
        label="Reason for reopening",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Give the reason for reopening."},
    )
