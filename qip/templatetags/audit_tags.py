from django import template

from qip.audit_text import describe

register = template.Library()


@register.filter
def audit_description(event):
    return describe(event)
