"""Fuzzed views (issue 8, part 6): hypothesis drives every view some persona may POST to, and every page's query.

POST: every URL name whose permission-matrix row (qip/tests/permission_matrix.py) is "ok" for some persona,
sent as the first such persona in PREFERENCE (the public pages as anonymous, the two-factor pages as someone
with an authenticator). The fields come from the view's own page, or for a view that only takes a POST from
another page whose form posts to it (parsed with html.parser), plus the names views read from any POST. The
baseline is what a careful person would send; each example replaces a few or all fields with random or
boundary values (text, numbers, dates, choices that are not offered, other organisations' ids, ids that
do not exist), leaves them out, sends them twice or adds others, with or without htmx's header.

Per example, in a savepoint that is rolled back: no server error (an exception or a 5xx; as on PostgreSQL,
a query with a NUL character fails); nothing stored that PostgreSQL refuses (a string longer than its
column, NUL in JSON, an integer out of range); and when the view said no (a 4xx, the form again with its
errors, a redirect with an error message) no row changed anywhere. Sessions, django-axes' sign-in tracking
and django-otp's wrong-code counters are not compared, and a failed sign-in or code is audited on purpose.

GET: every page anyone may see, with a fuzzed query string (its GET form's fields and the names views read):
no server error, and no row changed (downloads are audited on purpose).

FUZZ_EXAMPLES (default 20) and FUZZ_GET_EXAMPLES (default 5) set the examples per view; run with -s to
see the counts.
"""

import logging
import os
from collections import Counter
from copy import deepcopy
from urllib.parse import urlsplit

import pytest
from django.contrib import messages
from django.contrib.auth.tokens import default_token_generator
from django.contrib.messages import get_messages
from django.db import transaction
from django.forms import BaseForm
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qip.models import AuditEvent
from qip.tests import domain_factories as make
from qip.tests import fuzz, test_permission_matrix
from qip.tests.factories import PASSWORD, MembershipFactory, UserFactory
from qip.tests.permission_matrix import all_rows
from qip.tests.two_factor_support import authenticator_for

# The permission matrix's objects and cast, as fixtures here too.
world = test_permission_matrix.world
cast = test_permission_matrix.cast

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
PREFERENCE = ["anonymous", "manager", "quality", "admin", "staff", "ni", "other_manager", "viewer", "outsider"]
MATRIX = all_rows()
FUZZED = sorted(name for name, methods in MATRIX.items() if "ok" in methods["POST"].values())
REDIRECTS = (301, 302, 303)
# Refusals audited on purpose (someone may be guessing a password or a code).
AUDITED_REFUSALS = ["auth.sign_in_failed", "auth.two_factor_failed"]
# The two-factor pages as someone with an authenticator (the code page, and new backup codes).
PERSONA = {"two_factor_verify": "quality", "two_factor_settings": "quality"}
# Names views read straight from request.POST (grep request.POST.get): the pages do not always send them.
READ_WITHOUT_A_FIELD = ["note", "next", "organisation", "decision", "meeting", "lint", "kind"]
# Views that answer a change made with a page (200), not a redirect: the new backup codes.
ANSWER_WITH_A_PAGE = {"two_factor_setup", "two_factor_settings"}
TALLY = Counter()


def persona_for(name):
    return PERSONA.get(name) or next(persona for persona in PREFERENCE if MATRIX[name]["POST"][persona] == "ok")


def signed_in(name, persona, user):
    """A client signed in as `user`; for the code page, by password only, so the session still needs its code."""
    client = Client()
    if name == "two_factor_verify":
        authenticator_for(user)
        client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    elif persona != "anonymous":
        client.force_login(user)
    return client


class Rollback(Exception):
    pass


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    yield
    for method in ("POST", "GET"):
        counts = {name: count for (sent, name), count in TALLY.items() if sent == method}
        if counts:
            lines = [f"  {name}: {count}" for name, count in sorted(counts.items())]
            print(f"\nFuzzed {method}: {len(counts)} views, {sum(counts.values())} examples", *lines, sep="\n")
    TALLY.clear()  # pytest-django runs the tests without a database last, in the module's fixture again


@pytest.fixture(autouse=True)
def quiet_logs():
    """Thousands of refused requests and failed sign-ins would each log a warning."""
    loggers = [logging.getLogger(name) for name in ("django.request", "axes")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.fixture
def foreign_ids(foreign_org, foreign_location, outsider, branch, other_manager):
    return fuzz.foreign_object_ids(foreign_org, foreign_location, outsider, branch, other_manager)


def _done_step(world):
    from governance import services

    services.complete_step(actor=world["action"].owner, step=world["step"])
    return {"pk": world["step"].pk}


def _action_in_assurance(world):
    """A second action of the world's plan with its work done, in assurance: its closure form is shown."""
    from governance import services

    plan, owner = world["plan"], world["plan"].owner
    action = make.ActionFactory(plan=plan, location=world["home"], owner=owner, created_by=owner, measure=True)
    make.StepFactory(action=action)
    for step in action.steps.all():
        services.complete_step(actor=owner, step=step)
    make.ReadingFactory.create_batch(8, measure=action.measure)
    for slug in ("processes", "observation"):
        make.EvidenceFactory(action=action, category=slug, collected_by=owner)
    services.start_assurance(actor=owner, action=action)
    return {"pk": action.pk}


# Views whose form shows only in a later state of the world's object: URL kwargs of an object in that state.
PREPARE = {"step_undo": _done_step, "action_request_closure": _action_in_assurance}


def token_path(name, user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse(name, kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)})


def post_url(name, client, setup, org):
    """Where the fuzzed POST goes. A reset or invitation link is followed first: it hides its token."""
    if name == "password_reset_confirm":
        return client.get(token_path(name, setup["users"]["staff"])).url
    if name == "invite_accept":
        invitee = UserFactory(full_name="Ivy Invited")
        invitee.set_unusable_password()
        invitee.save()
        MembershipFactory(user=invitee, organisation=org)
        return client.get(token_path(name, invitee)).url
    if name in PREPARE:
        return reverse(name, kwargs=PREPARE[name](setup["world"]))
    return reverse(name, kwargs=setup["kwargs"].get(name, {}))


def forms_posting_to(client, url, persona, setup):
    """The forms that post to `url`: on its own page, else on the first page of the persona's that has one.

    The view's own page is opened for good, as a person would before sending it (the two-factor setup page
    makes the authenticator its form confirms); the other pages are looked at in a savepoint.
    """
    path = urlsplit(url).path
    found = _forms_on(client.get(url), url, path)
    others = [
        reverse(name, kwargs=setup["kwargs"].get(name, {}))
        for name in sorted(MATRIX)
        if MATRIX[name]["GET"][persona] == "ok" and "download" not in name and "export" not in name
    ]
    for page in others:
        if found:
            break
        try:
            with transaction.atomic():
                found = _forms_on(client.get(page), page, path)
                raise Rollback
        except Rollback:
            pass
    return found


def _forms_on(response, page, path, method="post"):
    if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
        return []
    return [form for form in fuzz.page_forms(response.content.decode(), page, method) if form.action == path]


def account_fields(name, user):
    """A real account's e-mail address (and password) for the sign-in and reset pages, so some examples succeed."""
    return {"login": {"username": user.email, "password": PASSWORD}, "password_reset": {"email": user.email}}.get(
        name, {}
    )


def with_read_keys(form):
    """The form, plus the names some views read from any POST without a form field (not sent unless fuzzed)."""
    extra = {key: fuzz.Field(key, "any") for key in READ_WITHOUT_A_FIELD if key not in form.fields}
    return fuzz.Form(action=form.action, fields=form.fields | extra, submits=form.submits)


def baseline(form, post_data):
    data = {name: fuzz.plausible(found, PASSWORD) for name, found in form.fields.items()}
    data.update({name: [str(value)] for name, value in post_data.items()})
    return data


def unexplained(changes):
    """Changes a refused request may not make: all of them, but for the audit of a failed sign-in or code."""
    added = [pk for label, pk, how in changes if label == "qip.AuditEvent" and how == "added"]
    failed = set(AuditEvent.objects.filter(pk__in=added, action__in=AUDITED_REFUSALS).values_list("pk", flat=True))
    kept = [change for change in changes if not (change[0] == "qip.AuditEvent" and change[1] in failed)]
    return [change for change in kept if not (failed and change[0] == "qip.AuditChainHead")]


def forms_with_errors(response):
    contexts = response.context or []
    contexts = contexts if isinstance(contexts, list) else [contexts]
    shown = [value for context in contexts for value in context.flatten().values() if isinstance(value, BaseForm)]
    return [form for form in shown if form.is_bound and form.errors]


def refused(name, response, htmx):
    """Whether the view said no: a 4xx, a form shown again with its errors, or a redirect with an error message.

    A plain 200 is a refusal too, except for htmx (a fragment may be the change made) and the pages that
    answer a change with a page (new backup codes): for those only a form with errors counts.
    """
    if response.status_code >= 400:
        return True
    if response.status_code in REDIRECTS:
        return any(message.level == messages.ERROR for message in get_messages(response.wsgi_request))
    if htmx or name in ANSWER_WITH_A_PAGE:
        return bool(forms_with_errors(response))
    return True


def test_every_post_view_is_fuzzed_as_someone_allowed_to_use_it():
    assert len(FUZZED) >= 40
    assert {"login", "password_reset", "password_reset_confirm", "invite_accept"} <= set(FUZZED)
    for name in ("login", "password_reset", "password_reset_confirm", "invite_accept"):
        assert persona_for(name) == "anonymous"


@pytest.mark.parametrize("name", FUZZED)
def test_fuzzed_post_never_errors_and_a_refused_one_changes_nothing(name, cast, world, org, foreign_ids):
    setup = cast | {"world": world}
    persona = persona_for(name)
    client = signed_in(name, persona, setup["users"].get(persona))
    url = post_url(name, client, setup, org)
    post_data = setup["post_data"].get(name, {}) | account_fields(name, setup["users"]["staff"])
    forms = forms_posting_to(client, url, persona, setup)
    if not forms:  # no page shows a form for it (a POST-only view, an htmx call): the matrix's data
        forms = [
            fuzz.Form(action=url, fields={key: fuzz.Field(key, "hidden", [str(v)]) for key, v in post_data.items()})
        ]
    cookies = deepcopy(client.cookies)
    examples = st.one_of(
        [fuzz.submissions(with_read_keys(form), baseline(form, post_data), foreign_ids) for form in forms]
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=examples, htmx=st.booleans())
    def post(data, htmx):
        TALLY["POST", name] += 1
        client.cookies = deepcopy(cookies)  # a sign-in or password change rotated the session: start again
        headers = {"HX-Request": "true"} if htmx else {}
        try:
            with transaction.atomic():
                before = fuzz.snapshot()
                with fuzz.postgres_guard():
                    response = client.post(url, data, headers=headers)
                changes = fuzz.changed_rows(before, fuzz.snapshot())
                problems = fuzz.postgres_problems(changes)
                refused_but_changed = unexplained(changes)
                raise Rollback
        except Rollback:
            pass
        assert response.status_code < 500, f"{name} as {persona}: {response.status_code}"
        assert not problems, f"{name} as {persona} stored what PostgreSQL refuses: {problems}"
        if refused(name, response, htmx):
            assert not refused_but_changed, (
                f"{name} as {persona} refused ({response.status_code}) but changed rows: {refused_but_changed}"
            )

    post()
    assert TALLY["POST", name] >= EXAMPLES


# GET pages: the query string is input too (filters, sorting, paging, dates).

GET_EXAMPLES = int(os.environ.get("FUZZ_GET_EXAMPLES", "5"))
SHOWN = sorted(name for name, methods in MATRIX.items() if "ok" in methods["GET"].values())
# Names views read from request.GET without a form on the page (grep request.GET).
QUERY_KEYS = ["page", "verify", "status", "show", "plan", "date", "meeting", "next", "o", "q"]
# GET pages that write on purpose: a download is audited; the two-factor setup page keeps the key it shows.
WRITING_PAGES = {"evidence_file_download", "pack_download", "plan_export", "action_export", "two_factor_setup"}


def get_persona_for(name):
    """Who may also POST there, when someone may (they see the most of the page), else the first who may look."""
    allowed = [persona for persona in PREFERENCE if MATRIX[name]["GET"][persona] == "ok"]
    return next((persona for persona in allowed if MATRIX[name]["POST"][persona] == "ok"), allowed[0])


@pytest.mark.parametrize("name", SHOWN)
def test_fuzzed_query_string_never_errors_and_changes_nothing(name, cast, world, org, foreign_ids):
    setup = cast | {"world": world}
    persona = get_persona_for(name)
    client = signed_in(name, persona, setup["users"].get(persona))
    url = post_url(name, client, setup, org) if name in ("password_reset_confirm", "invite_accept") else None
    url = url or reverse(name, kwargs=setup["kwargs"].get(name, {}))
    forms = _forms_on(client.get(url), url, urlsplit(url).path, method="get") or [fuzz.Form(url, method="get")]
    for form in forms:
        form.fields |= {key: fuzz.Field(key, "any") for key in QUERY_KEYS if key not in form.fields}
    examples = st.one_of([fuzz.submissions(form, {}, foreign_ids) for form in forms])

    @settings(
        max_examples=GET_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(query=examples, htmx=st.booleans())
    def get(query, htmx):
        TALLY["GET", name] += 1
        headers = {"HX-Request": "true"} if htmx else {}
        try:
            with transaction.atomic():
                before = fuzz.snapshot()
                with fuzz.postgres_guard():
                    response = client.get(url, query, headers=headers)
                changes = fuzz.changed_rows(before, fuzz.snapshot())
                raise Rollback
        except Rollback:
            pass
        assert response.status_code < 500, f"GET {name} as {persona}: {response.status_code}"
        if name not in WRITING_PAGES:
            assert not changes, f"GET {name} as {persona} changed rows: {changes}"

    get()
    assert TALLY["GET", name] >= GET_EXAMPLES


# What the fuzzing found, kept as plain examples.


def test_a_return_address_that_is_not_a_path_goes_back_to_the_notification_list(cast, manager):
    client = Client()
    client.force_login(manager)
    for name, kwargs in (("notification_read", cast["kwargs"]["notification_read"]), ("notification_read_all", {})):
        response = client.post(reverse(name, kwargs=kwargs), {"next": "1"})  # was a server error (NoReverseMatch)
        assert response.status_code == 302
        assert response.url == reverse("notification_list")


def test_an_id_too_big_for_the_database_is_refused_beside_the_field(cast, admin, manager, org, home):
    client = Client()
    client.force_login(admin)
    url = reverse("person_edit", kwargs=cast["kwargs"]["person_edit"])
    # Was a server error on SQLite: "Python int too large to convert to SQLite INTEGER".
    response = client.post(url, {"role": "registered_manager", "locations": ["9223372036854775808"]})
    assert response.status_code == 200
    assert "9223372036854775808 is not one of the available choices" in response.content.decode()
    assert list(manager.memberships.get(organisation=org).locations.all()) == [home]


def test_a_step_note_with_a_null_character_is_refused_and_the_step_stays_to_do(cast, staff, world):
    client = Client()
    client.force_login(staff)
    response = client.post(reverse("step_done", kwargs=cast["kwargs"]["step_done"]), {"note": "Done\x00"}, follow=True)
    # PostgreSQL refuses NUL in text: this was a server error there.
    assert "The note cannot contain a null character." in response.content.decode()
    world["step"].refresh_from_db()
    assert not world["step"].is_done


def test_a_plan_number_in_the_pack_link_that_int_cannot_read_is_ignored(quality):
    client = Client()
    client.force_login(quality)
    response = client.get(reverse("pack_list"), {"plan": "²"})  # "²".isdigit() is True; int("²") fails
    assert response.status_code == 200


def test_post_closure_days_that_int_cannot_read_are_refused_beside_the_field(cast, manager):
    client = Client()
    client.force_login(manager)
    response = client.post(
        reverse("criteria_edit", kwargs=cast["kwargs"]["criteria_edit"]), {"post_closure_offsets": "²"}
    )
    assert response.status_code == 200  # was a server error: "²".isdigit() is True, int("²") fails
    assert "Give 1 to 4 post-closure checks as days after closure" in response.content.decode()


def test_adding_a_step_row_with_a_row_count_int_cannot_read_shows_the_form(cast, manager):
    client = Client()
    client.force_login(manager)
    url = reverse("action_create", kwargs=cast["kwargs"]["action_create"])
    response = client.post(url, {"add_step": "1", "steps-TOTAL_FORMS": "²", "steps-INITIAL_FORMS": "0"})
    assert response.status_code == 200  # was a server error
    assert 'name="steps-3-what"' in response.content.decode()  # three rows, and the one added
