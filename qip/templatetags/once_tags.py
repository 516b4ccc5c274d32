from django import template
from django.utils.html import format_html

from qip.once import FIELD, new_token

register = template.Library()


@register.simple_tag
def submission_token():
    """A hidden one-time token: put it inside a form whose view writes through only_once()."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())
