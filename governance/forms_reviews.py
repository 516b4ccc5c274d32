"""The review form: when it was held, each open action's RAG and progress, the evidence seen, the decision.

Which answers are needed (a RAG for every action, progress for red and amber, a reason to escalate,
revise or step down) is the service's rule; its messages land beside these fields.
"""

from django import forms
from django.utils.text import Truncator

from evidence.models import EvidenceItem
from governance.models import Rag, ReviewDecision
from governance.services_reviews import NEEDS_REASON, cadence_after
from qip.forms import ModelMultipleChoiceField
from qip.models import ReviewCadence
from qip.plan_services import uk_date


def _evidence_label(item, new_since):
    about = f"action “{Truncator(item.action.title).chars(60)}”" if item.action_id else "the plan"
    label = f"{item.title} ({item.category.name}, {item.purpose}, collected {uk_date(item.collected_on)}, {about})"
    if new_since and item.added_at > new_since:
        label = f"New: {label}"
    return label


class ReviewForm(forms.Form):
    held_on = forms.DateField(
        label="Date the review was held",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Give the date the review was held.", "invalid": "Enter a real date."},
    )
    decision = forms.ChoiceField(
        label="Decision",
        widget=forms.RadioSelect,
        choices=ReviewDecision.choices,
        error_messages={"required": "Choose the review's decision."},
    )
    reason = forms.CharField(
        label="Reason for the decision",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed to escalate, revise the plan or step down.",
    )
    summary = forms.CharField(
        label="Discussion and agreed next steps (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    evidence_seen = ModelMultipleChoiceField(
        label="Evidence seen at the review",
        queryset=EvidenceItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"invalid_choice": "Choose evidence of this plan only."},
    )

    def __init__(self, data=None, *, plan, actions, evidence, new_since=None, **kwargs):
        super().__init__(data, **kwargs)
        self.plan, self.actions = plan, actions
        self.fields["evidence_seen"].queryset = (
            EvidenceItem.objects.filter(pk__in=[item.pk for item in evidence])
            .select_related("category", "action")
            .order_by("-collected_on", "-pk")
        )
        self.fields["evidence_seen"].label_from_instance = lambda item: _evidence_label(item, new_since)
        for action in actions:
            self.fields[f"rag_{action.pk}"] = forms.ChoiceField(
                label=f"RAG for “{action.title}”",
                choices=Rag.choices,
                widget=forms.RadioSelect,
                required=False,
            )
            self.fields[f"progress_{action.pk}"] = forms.CharField(
                label="Progress",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Needed for red and amber: what is behind or at risk, and what is being done.",
            )

    def rows(self):
        """(action, its RAG field, its progress field) for the template."""
        return [(action, self[f"rag_{action.pk}"], self[f"progress_{action.pk}"]) for action in self.actions]

    def decision_notes(self):
        """What each decision does to the cadence, in words, keyed by decision."""
        cadence = self.plan.review_cadence
        notes = {}
        for decision in ReviewDecision.values:
            try:
                after = cadence_after(decision, cadence)
            except forms.ValidationError:
                notes[decision] = "Not available: reviews step down no further than monthly."
                continue
            label = ReviewCadence(after).label.lower()
            if after == cadence:
                notes[decision] = f"Reviews stay {label}."
            else:
                notes[decision] = f"Reviews become {label} (from {ReviewCadence(cadence).label.lower()})."
            if decision in NEEDS_REASON:
                notes[decision] += " A reason is needed."
        return notes

    def service_fields(self):
        data = self.cleaned_data
        return {
            "held_on": data["held_on"],
            "decision": data["decision"],
            "reason": data["reason"],
            "summary": data["summary"],
            "evidence_seen": list(data["evidence_seen"]),
            "lines": [
                {
                    "action": action,
                    "rag": data.get(f"rag_{action.pk}") or "",
                    "progress": data.get(f"progress_{action.pk}") or "",
                }
                for action in self.actions
            ],
        }
