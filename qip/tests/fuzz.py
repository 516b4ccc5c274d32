"""Shared pieces of the fuzz tests (test_fuzz_views.py, test_fuzz_forms.py).

- `page_forms(html, page_path)`: the forms on a page, parsed with html.parser: where each posts to and
  its fields (name, kind, the value the page fills in, the options of a select or radio group).
- Hostile values: random and boundary text, numbers, dates, choices and ids, as hypothesis strategies.
- `snapshot()` / `changed_rows()`: every row of every model, before and after a request.
- `postgres_guard()` and `postgres_problems()`: what PostgreSQL (production) refuses that SQLite stores
  quietly: a NUL character in a string, a string longer than its column, an integer out of its column's range.
"""

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.apps import apps
from django.db import connection, models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.utils import DataError
from django.utils import timezone
from hypothesis import strategies as st

# Rows that change on every request, valid or not: sessions (saved on every request), the sign-in
# tracking of django-axes, and the session list behind "sign out everywhere".
IGNORED_MODELS = {"sessions.session", "qip.usersession"}
IGNORED_APPS = {"axes"}

# django-otp counts wrong codes on the device (a growing wait after each): a refused code writes them on purpose.
IGNORED_FIELDS = {"throttling_failure_timestamp", "throttling_failure_count"}

SKIPPED_INPUTS = {"file", "image", "reset"}  # uploads are fuzzed by the hostile-upload tests
NOT_FUZZED = {"csrfmiddlewaretoken"}


# Parsing the forms on a page


@dataclass
class Field:
    name: str
    kind: str  # text, textarea, select, radio, checkbox, hidden, date, number, submit, ...
    values: list = field(default_factory=list)  # what the page fills in or has ticked
    options: list = field(default_factory=list)  # select options, radio and checkbox values
    multiple: bool = False


@dataclass
class Form:
    action: str  # the path it is sent to
    fields: dict = field(default_factory=dict)
    submits: list = field(default_factory=list)  # (name, value) of named submit buttons
    method: str = "post"


class _FormParser(HTMLParser):
    def __init__(self, page_path):
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms = []
        self.form = None
        self.select = None
        self.option = None  # {"value", "selected", "text"} of the <option> being read
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            method = "post" if attrs.get("hx-post") else (attrs.get("method") or "get").lower()
            target = attrs.get("hx-post") or attrs.get("hx-get") or attrs.get("action") or self.page_path
            self.form = Form(action=urlsplit(target).path or self.page_path, method=method)
            return
        if tag == "option" and self.select is not None:
            self.option = {"value": attrs.get("value"), "selected": "selected" in attrs, "text": ""}
            return
        if self.form is None or not attrs.get("name") or attrs["name"] in NOT_FUZZED:
            return
        name = attrs["name"]
        if tag == "input":
            self._input(name, (attrs.get("type") or "text").lower(), attrs)
        elif tag == "button" and (attrs.get("type") or "submit").lower() == "submit":
            self.form.submits.append((name, attrs.get("value", "")))
        elif tag == "textarea":
            self.textarea = self._field(name, "textarea")
            self.textarea.values = [""]
        elif tag == "select":
            self.select = self._field(name, "select")
            self.select.multiple = "multiple" in attrs

    def _input(self, name, kind, attrs):
        if kind in SKIPPED_INPUTS:
            return
        if kind in ("submit", "button"):
            self.form.submits.append((name, attrs.get("value", "")))
            return
        found = self._field(name, kind)
        if kind in ("checkbox", "radio"):
            value = attrs.get("value", "on")
            found.options.append(value)
            found.multiple = kind == "checkbox" and len(found.options) > 1
            if "checked" in attrs:
                found.values.append(value)
        else:
            found.values = [attrs.get("value", "")]

    def handle_endtag(self, tag):
        if tag in ("option", "select") and self.option is not None and self.select is not None:
            value = self.option["value"] if self.option["value"] is not None else self.option["text"].strip()
            self.select.options.append(value)
            if self.option["selected"]:
                self.select.values.append(value)
            self.option = None
        if tag == "form" and self.form is not None:
            self.forms.append(self.form)
            self.form = None
        elif tag == "textarea" and self.textarea is not None:
            self.textarea.values = [self.textarea.values[0].removeprefix("\n")]  # as a browser reads it
            self.textarea = None
        elif tag == "select" and self.select is not None:
            if not self.select.values and self.select.options and not self.select.multiple:
                self.select.values = [self.select.options[0]]  # what a browser sends when nothing is selected
            self.select = None

    def handle_data(self, data):
        if self.option is not None:
            self.option["text"] += data
        elif self.textarea is not None:
            self.textarea.values = [self.textarea.values[0] + data]

    def _field(self, name, kind):
        if name not in self.form.fields:
            self.form.fields[name] = Field(name=name, kind=kind)
        return self.form.fields[name]


def page_forms(html, page_path, method="post"):
    """The forms on a page sent by `method` (hx-post counts as POST), each with the path it is sent to."""
    parser = _FormParser(page_path)
    parser.feed(html)
    parser.close()
    return [form for form in parser.forms if form.method == method]


# Hostile values

NASTY_TEXT = [
    "",
    " ",
    " \t\r\n ",
    "\x00",
    "MAR audit\x00 weekly",
    "x" * 10_000,
    "é" * 5_000,
    "\u202eevil.pdf",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🧪 ﷽",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR '1'='1",
    "1; DROP TABLE qip_plan; --",
    "{{ request.user }} {% debug %}",
    "%s %d %(name)s {0}",
    "../../../etc/passwd",
    "/\r\nSet-Cookie: x=1",
    "//evil.example/",
    "javascript:alert(1)",
    "null",
    "None",
    "[]",
    "-1",
]

NUMBERS = [
    "0",
    "-1",
    "1",
    "7",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "1" + "0" * 40,
    "1.5",
    "-0",
    "1e-400",
    "NaN",
    "inf",
    "-Infinity",
    "1e309",
    " 3 ",
    "٣",
    "²",
    "0x1f",
    "1_000",
]

BAD_DATES = [
    "",
    "2026-02-30",
    "2026-02-29",
    "2024-02-29",
    "0001-01-01",
    "9999-12-31",
    "2026-13-01",
    "0000-00-00",
    "31/12/2026",
    "12/31/2026",
    "1/1/1",
    "2026-06-01T10:00",
    "99999-01-01",
    "-2026-01-01",
    "today",
]

NOT_AN_ID = ["0", "-1", "999999999", "9223372036854775808", "abc", "1.5", " ", "1 OR 1=1", "²", "٣"]


def relative_dates():
    today = timezone.localdate()
    return [(today + timedelta(days=days)).isoformat() for days in (-3650, -1, 0, 1, 3650)]


def text_values():
    return st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=60))


def number_values():
    return st.one_of(
        st.sampled_from(NUMBERS),
        st.integers().map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )


def date_values():
    return st.one_of(st.sampled_from(BAD_DATES + relative_dates()), st.dates().map(lambda day: day.isoformat()))


def id_values(foreign_ids=()):
    """Ids that are not the object's: another organisation's, non-existent ones and things that are not ids."""
    return st.sampled_from([str(pk) for pk in foreign_ids] + NOT_AN_ID)


def values_for(kind, options=(), foreign_ids=()):
    """One hostile value for a field of this kind (every kind also gets random text)."""
    typed = {
        "number": number_values(),
        "range": number_values(),
        "date": date_values(),
        "datetime-local": date_values(),
        "select": st.one_of(st.sampled_from([*options, "not-a-choice"]), id_values(foreign_ids)),
        "radio": st.one_of(st.sampled_from([*options, "not-a-choice"]), id_values(foreign_ids)),
        "checkbox": st.one_of(st.sampled_from([*options, "off", "false", "0"]), id_values(foreign_ids)),
        "hidden": st.one_of(id_values(foreign_ids), number_values()),
        "submit": st.sampled_from([*options, "not-a-choice"]),
        "any": st.one_of(number_values(), date_values(), id_values(foreign_ids)),  # a name read without a field
    }.get(kind)
    if typed is None:
        return text_values()
    return st.one_of(typed, text_values())


def foreign_object_ids(foreign_org, foreign_location, outsider, branch, other_manager):
    """Ids of objects the personas of `org` must not reach: another organisation's, and `branch`'s."""
    from qip.tests import domain_factories as make

    plan = make.PlanFactory(organisation=foreign_org, locations=[foreign_location], owner=outsider)
    action = make.ActionFactory(plan=plan, location=foreign_location, owner=outsider, steps=1, measure=True)
    evidence = make.EvidenceFactory(action=action)
    branch_plan = make.PlanFactory(organisation=branch.organisation, locations=[branch], owner=other_manager)
    objects = [plan, action, action.steps.first(), evidence, foreign_location, outsider, branch, branch_plan]
    return sorted({obj.pk for obj in objects})


@st.composite
def submissions(draw, form, baseline, foreign_ids=()):
    """POST data: the baseline with a few (or all) fields replaced, dropped or sent twice, maybe extras."""
    data = {name: list(values) for name, values in baseline.items()}
    fields = sorted(form.fields)
    for name in draw(st.sets(st.sampled_from(fields), max_size=len(fields))) if fields else ():
        found = form.fields[name]
        hostile = values_for(found.kind, found.options, foreign_ids)
        how = draw(st.sampled_from(["replace", "drop", "twice"]))
        if how == "drop":
            data.pop(name, None)
        elif how == "twice":
            data[name] = draw(st.lists(hostile, min_size=2, max_size=3))
        else:
            data[name] = [draw(hostile)]
    if form.submits:
        name, value = draw(st.sampled_from(form.submits))
        data[name] = [draw(st.one_of(st.just(value), text_values()))]
    for name, value in draw(st.dictionaries(st.text(min_size=1, max_size=12), text_values(), max_size=2)).items():
        data.setdefault(name, [value])
    return data


def plausible(found, password):
    """A value a careful person might type, so that a few changes away from it the form is valid."""
    if found.kind in ("checkbox", "radio", "select"):
        if found.values or found.kind == "checkbox":
            return list(found.values)
        chosen = [option for option in found.options if option]
        return chosen[:1]
    if found.values and found.values[0]:
        return list(found.values)
    today = timezone.localdate().isoformat()
    return [
        {
            "date": today,
            "number": "1",
            "email": "new.person@example.org",
            "password": password,
            "textarea": "Senior carer checks 5 MAR charts each shift and records gaps in the daily log.",
        }.get(found.kind, "Fuzzed but sensible words")
    ]


# Rows before and after


def watched_models():
    return [
        model
        for model in apps.get_models()
        if model._meta.label_lower not in IGNORED_MODELS and model._meta.app_label not in IGNORED_APPS
    ]


def snapshot():
    """{model label: {pk: hash of the row}} for every watched model."""
    rows = {}
    for model in watched_models():
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in IGNORED_FIELDS]
        rows[model._meta.label] = {
            values[0]: hashlib.sha256(repr(values).encode()).hexdigest()
            for values in model._base_manager.order_by("pk").values_list("pk", *names)
        }
    return rows


def changed_rows(before, after):
    """[(model label, pk, "added" | "changed" | "removed")] between two snapshots."""
    changes = []
    for label, rows in after.items():
        old = before.get(label, {})
        changes += [(label, pk, "added") for pk in rows.keys() - old.keys()]
        changes += [(label, pk, "changed") for pk in rows.keys() & old.keys() if rows[pk] != old[pk]]
        changes += [(label, pk, "removed") for pk in old.keys() - rows.keys()]
    return sorted(changes, key=repr)


# What PostgreSQL refuses


def _refuse_nul(execute, sql, params, many, context):
    rows = params if many else [params]
    for row in rows or []:
        values = row.values() if isinstance(row, dict) else row or []
        if any(isinstance(value, str) and "\x00" in value for value in values):
            raise DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    return execute(sql, params, many, context)


@contextmanager
def postgres_guard():
    """Queries fail, as on PostgreSQL, when a string parameter holds a NUL character."""
    with connection.execute_wrapper(_refuse_nul):
        yield


INTEGER_RANGES = BaseDatabaseOperations.integer_field_ranges


def _holds_nul(value):
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def postgres_problems(changes):
    """What PostgreSQL would refuse in added or changed rows: a long string, NUL in JSON, an integer out of range."""
    problems = []
    by_label = {model._meta.label: model for model in watched_models()}
    for label, pk, how in changes:
        if how == "removed":
            continue
        model = by_label[label]
        row = model._base_manager.filter(pk=pk).values(*[f.attname for f in model._meta.concrete_fields]).first()
        for column in model._meta.concrete_fields:
            value = row[column.attname]
            too_long = isinstance(value, str) and isinstance(column, models.CharField) and column.max_length
            if too_long and len(value) > column.max_length:
                problems.append(f"{label}.{column.name} #{pk}: {len(value)} characters > {column.max_length}")
            if isinstance(column, models.JSONField) and _holds_nul(value):
                problems.append(f"{label}.{column.name} #{pk}: a NUL character (jsonb refuses \\u0000)")
            limits = INTEGER_RANGES.get(column.get_internal_type())
            if limits and isinstance(value, int) and not limits[0] <= value <= limits[1]:
                problems.append(f"{label}.{column.name} #{pk}: {value} is out of range {limits}")
    return problems
