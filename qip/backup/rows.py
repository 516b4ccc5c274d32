"""Rows as plain JSON objects keyed by column, and back to model instances.

Plain dicts rather than Django's serialisers: those round datetimes to milliseconds, and the
audit chain's hashes cover the exact microsecond each event was written.
"""

import datetime
import json
import uuid
from decimal import Decimal

from django.db import models


def columns(model):
    return [field.attname for field in model._meta.concrete_fields]


def _plain(value):
    if isinstance(value, datetime.date | datetime.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def to_line(names, values):
    row = {name: _plain(value) for name, value in zip(names, values, strict=True)}
    return (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")


def file_columns(model):
    return [field.attname for field in model._meta.concrete_fields if isinstance(field, models.FileField)]


def user_columns(model, user_model):
    return [
        field.attname
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is user_model
    ]


def relation_columns(model, labels):
    """{column: related model label} for foreign keys into the given models."""
    return {
        field.attname: field.related_model._meta.label_lower
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model._meta.label_lower in labels
    }


def python_values(model, row):
    """The row's JSON values as the model's fields hold them (dates parsed, and so on)."""
    values = {}
    for field in model._meta.concrete_fields:
        value = row[field.attname]
        if value is not None and not isinstance(field, models.JSONField):
            target = field.target_field if field.is_relation else field
            value = target.to_python(value)
        values[field.attname] = value
    return values


def read_rows(path):
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)
