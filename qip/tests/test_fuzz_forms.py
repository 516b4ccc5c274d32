"""Fuzzed forms (issue 8, part 6): every Django form class of the apps, bound to hypothesis data.

Each field gets values of its own type and hostile ones (random and boundary text, numbers and dates,
choices that are not offered, other organisations' ids), or is left out or sent twice. Per example:
`is_valid()` does not raise, the bound form renders with its messages, the wording lint (where the form
has one) does not raise, and checking the form writes nothing to the database.

A form class without an entry in FORMS fails the suite. FUZZ_FORM_EXAMPLES sets the examples per form
(default 40). Run with -s to see the counts.
"""

import importlib
import os
from collections import Counter

import pytest
from django import forms
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.datastructures import MultiValueDict
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence import forms as evidence_forms
from evidence import forms_measures
from governance import (
    forms_actions,
    forms_checks,
    forms_notifications,
    forms_oversight,
    forms_packs,
    forms_plan_closure,
    forms_plans,
    forms_reviews,
    forms_signoff,
)
from qip import forms as qip_forms
from qip import forms_admin, forms_two_factor
from qip.models import Location, Plan, User
from qip.tests import fuzz, test_permission_matrix

world = test_permission_matrix.world  # the permission matrix's objects, as a fixture here too

EXAMPLES = int(os.environ.get("FUZZ_FORM_EXAMPLES", "40"))
# The apps' form modules, found by name, so a new one is fuzzed too (or fails test_every_form_class_is_fuzzed).
MODULE_PATTERNS = ["qip/forms*.py", "governance/forms_*.py", "evidence/forms*.py"]
WRITES = ("INSERT", "UPDATE", "DELETE")
TALLY = Counter()


def people(world):
    return User.objects.filter(memberships__organisation=world["org"]).order_by("pk")


def locations(world):
    return Location.objects.filter(organisation=world["org"]).order_by("pk")


# How each form is made in its view, given the test's world (and a user and organisation of it).
FORMS = {
    "qip.forms.EmailAuthenticationForm": lambda data, w: qip_forms.EmailAuthenticationForm(None, data=data),
    "qip.forms_admin.LocationForm": lambda data, w: forms_admin.LocationForm(
        data, organisation=w["org"], location=w["home"]
    ),
    "qip.forms_admin.MembershipForm": lambda data, w: forms_admin.MembershipForm(
        data, location_choices=locations(w), organisation=w["org"]
    ),
    "qip.forms_admin.InviteForm": lambda data, w: forms_admin.InviteForm(
        data, location_choices=locations(w), organisation=w["org"]
    ),
    "qip.forms_admin.DeactivateForm": lambda data, w: forms_admin.DeactivateForm(data),
    "qip.forms_two_factor.CodeForm": lambda data, w: forms_two_factor.CodeForm(data),
    "qip.forms_two_factor.SetupForm": lambda data, w: forms_two_factor.SetupForm(data),
    "qip.forms_two_factor.PasswordAgainForm": lambda data, w: forms_two_factor.PasswordAgainForm(data),
    "qip.forms_two_factor.OrganisationSecurityForm": lambda data, w: forms_two_factor.OrganisationSecurityForm(data),
    "governance.forms_actions.WordingReasonForm": lambda data, w: forms_actions.WordingReasonForm(data),
    "governance.forms_actions.ActionForm": lambda data, w: forms_actions.ActionForm(data, people=people(w)),
    "governance.forms_actions.ActionCreateForm": lambda data, w: forms_actions.ActionCreateForm(
        data, people=people(w), locations=[w["home"], w["branch"]]
    ),
    "governance.forms_actions.StepForm": lambda data, w: forms_actions.StepForm(data, people=people(w)),
    "governance.forms_actions.StepAddForm": lambda data, w: forms_actions.StepAddForm(data, people=people(w)),
    "governance.forms_actions.MeasureForm": lambda data, w: forms_actions.MeasureForm(data),
    "governance.forms_actions.CriteriaForm": lambda data, w: forms_actions.CriteriaForm(data, high_risk=True),
    "governance.forms_actions.StepDoneForm": lambda data, w: forms_actions.StepDoneForm(data),
    "governance.forms_actions.StepUndoForm": lambda data, w: forms_actions.StepUndoForm(data),
    "governance.forms_actions.CriteriaChangeForm": lambda data, w: forms_actions.CriteriaChangeForm(data),
    "governance.forms_actions.ClosureRequestForm": lambda data, w: forms_actions.ClosureRequestForm(data),
    "governance.forms_actions.ConcernForm": lambda data, w: forms_actions.ConcernForm(data),
    "governance.forms_checks.CheckRecordForm": lambda data, w: forms_checks.CheckRecordForm(
        data, evidence_items=w["action"].evidence.all()
    ),
    "governance.forms_checks.ReopenForm": lambda data, w: forms_checks.ReopenForm(data),
    "governance.forms_notifications.NotificationSettingsForm": lambda data, w: (
        forms_notifications.NotificationSettingsForm(data, channels={})
    ),
    "governance.forms_oversight.OversightFilterForm": lambda data, w: forms_oversight.OversightFilterForm(
        data, locations=locations(w)
    ),
    "governance.forms_packs.PackForm": lambda data, w: forms_packs.PackForm(
        data, locations=locations(w), plans=Plan.objects.filter(organisation=w["org"])
    ),
    "governance.forms_plan_closure.PlanClosureRequestForm": lambda data, w: forms_plan_closure.PlanClosureRequestForm(
        data
    ),
    "governance.forms_plans.PlanForm": lambda data, w: forms_plans.PlanForm(
        data, user=w["plan"].owner, organisation=w["org"], plan=w["plan"]
    ),
    "governance.forms_reviews.ReviewForm": lambda data, w: forms_reviews.ReviewForm(
        data, plan=w["plan"], actions=[w["action"]], evidence=[w["evidence"]]
    ),
    "governance.forms_signoff.ApproveForm": lambda data, w: forms_signoff.ApproveForm(data),
    "governance.forms_signoff.ReasonForm": lambda data, w: forms_signoff.ReasonForm(data, prefix="challenge"),
    "evidence.forms.EvidenceForm": lambda data, w: evidence_forms.EvidenceForm(
        data, user=w["plan"].owner, organisation=w["org"], action=w["action"]
    ),
    "evidence.forms.WithdrawForm": lambda data, w: evidence_forms.WithdrawForm(data),
    "evidence.forms_measures.ReadingForm": lambda data, w: forms_measures.ReadingForm(data, measure=w["measure"]),
    "evidence.forms_measures.MeasureForm": lambda data, w: forms_measures.MeasureForm(
        data, measure=w["measure"], started=True
    ),
}


def form_modules():
    paths = sorted(path for pattern in MODULE_PATTERNS for path in django_settings.BASE_DIR.glob(pattern))
    return [
        importlib.import_module(".".join(path.relative_to(django_settings.BASE_DIR).with_suffix("").parts))
        for path in paths
    ]


def form_classes():
    """Every form class defined in the apps' form modules, by dotted name."""
    return sorted(
        f"{module.__name__}.{name}"
        for module in form_modules()
        for name, obj in vars(module).items()
        if isinstance(obj, type) and issubclass(obj, forms.BaseForm) and obj.__module__ == module.__name__
    )


@pytest.fixture
def foreign_ids(foreign_org, foreign_location, outsider, branch, other_manager):
    return fuzz.foreign_object_ids(foreign_org, foreign_location, outsider, branch, other_manager)


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    yield
    if TALLY:
        lines = [f"  {name}: {count}" for name, count in sorted(TALLY.items())]
        print(f"\nFuzzed forms: {len(TALLY)} forms, {sum(TALLY.values())} examples", *lines, sep="\n")
    TALLY.clear()  # pytest-django runs the tests without a database last, in the module's fixture again


def test_every_form_class_is_fuzzed():
    assert set(form_classes()) == set(FORMS)


def field_values(field, foreign_ids):
    """A strategy for one field's posted values (a list: empty when left out, two when sent twice)."""
    if isinstance(field, forms.ModelChoiceField):
        own = [str(pk) for pk in field.queryset.values_list("pk", flat=True)[:20]]
        typed = st.one_of(st.sampled_from(own or ["1"]), fuzz.id_values(foreign_ids))
    elif isinstance(field, forms.ChoiceField):
        typed = st.sampled_from([str(value) for value, _label in field.choices] + ["not-a-choice"])
    elif isinstance(field, forms.BooleanField):
        typed = st.sampled_from(["on", "", "false", "0", "True"])
    elif isinstance(field, forms.DateField):
        typed = fuzz.date_values()
    elif isinstance(field, forms.IntegerField | forms.FloatField | forms.DecimalField):
        typed = fuzz.number_values()
    else:
        typed = fuzz.text_values()
    value = st.one_of(typed, fuzz.text_values())
    return st.one_of(
        st.lists(typed, min_size=1, max_size=1),
        st.lists(value, min_size=1, max_size=1),
        st.just([]),
        st.lists(value, min_size=2, max_size=3),
    )


@pytest.mark.parametrize("name", sorted(FORMS))
def test_fuzzed_form_validates_renders_and_writes_nothing(name, world, foreign_ids):
    make = FORMS[name]
    template = make(None, world)
    fields = {
        template.add_prefix(field_name): field_values(field, foreign_ids)
        for field_name, field in template.fields.items()
        if not isinstance(field, forms.FileField)  # uploads: the hostile-upload tests
    }

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(posted=st.fixed_dictionaries(fields))
    def check(posted):
        TALLY[name] += 1
        form = make(MultiValueDict({key: values for key, values in posted.items() if values}), world)
        with CaptureQueriesContext(connection) as queries, fuzz.postgres_guard():
            valid = form.is_valid()
            if hasattr(form, "lint"):
                form.lint()
            html = str(form)
        if not valid:  # every message is shown with the form
            shown = [str(message) for messages in form.errors.values() for message in messages]
            assert all(escape(message) in html for message in shown), f"{name}: {form.errors!r} not in the page"
        writes = [query["sql"] for query in queries if query["sql"].lstrip().upper().startswith(WRITES)]
        assert not writes, f"{name} wrote while checking {posted!r}: {writes}"

    check()
    assert TALLY[name] >= EXAMPLES
