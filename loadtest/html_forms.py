"""Read a page's form as a browser would: its fields with their current values, and its links.

Standard library only, so the load test needs nothing of Django's.
"""

import re
from html.parser import HTMLParser


class FormReader(HTMLParser):
    """The fields of every form on a page, in page order."""

    def __init__(self):
        super().__init__()
        self.forms, self.fields, self.select, self.textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.fields = {}
            self.forms.append(self.fields)
        if self.fields is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs or (kind == "radio" and name not in self.fields):
                    self.fields[name] = attrs.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                self.fields[name] = attrs.get("value", "")
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select:
            value = attrs.get("value", "")
            if value and (self.select not in self.fields or "selected" in attrs):
                self.fields[self.select] = value
        elif tag == "textarea" and name:
            self.textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.fields = None

    def handle_data(self, data):
        if self.textarea:
            self.fields[self.textarea] += data


def form_fields(html, having):
    """The fields of the first form with a field called `having`; {} when there is none."""
    reader = FormReader()
    reader.feed(html)
    return next((fields for fields in reader.forms if having in fields), {})


def links(html, pattern):
    """Every distinct href matching the regular expression `pattern`, in page order."""
    seen = []
    for href in re.findall(r'href="([^"]+)"', html):
        if re.fullmatch(pattern, href) and href not in seen:
            seen.append(href)
    return seen
