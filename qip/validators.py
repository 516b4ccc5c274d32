import re

from django.core.exceptions import ValidationError

# CQC identifiers look like 1-101234567 (one digit, a hyphen, up to eleven digits).
CQC_ID = re.compile(r"^1-\d{6,11}$")
# The UK postcode shape (outward code, space optional, inward code); BFPO and GIR are rare enough to omit.
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")


def validate_cqc_id(value):
    if value and not CQC_ID.match(value.strip()):
        raise ValidationError("Enter a CQC ID like 1-123456789 (as on the CQC website).")


def normalise_postcode(value):
    compact = re.sub(r"\s+", "", (value or "").upper())
    if len(compact) > 3:
        return f"{compact[:-3]} {compact[-3:]}"
    return compact


def validate_postcode(value):
    if not POSTCODE.match(normalise_postcode(value)):
        raise ValidationError("Enter a UK postcode, for example LS1 4AP.")
