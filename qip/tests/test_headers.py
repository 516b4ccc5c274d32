"""Every GET page, as every persona of the permission matrix, in production mode over HTTPS: each
response carries the security headers, and no HTML page has script or style the content security
policy would block (inline <script>, on*= handlers, javascript: URLs, style attributes), so nothing
breaks under it.

The deployment check itself is in test_settings.py.
"""

import re
from html.parser import HTMLParser

from django.test import Client
from django.urls import reverse

from qip.tests import test_permission_matrix as matrix

# The permission matrix's objects and personas, so a new page is walked as soon as it has a row.
world = matrix.world
cast = matrix.cast

ONE_YEAR = 365 * 24 * 60 * 60
UNSAFE_SCRIPT_SOURCES = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "http:", "https:"}


def policy(header):
    directives = {}
    for directive in header.split(";"):
        name, *sources = directive.split()
        directives[name] = sources
    return directives


def header_problems(response):
    headers = response.headers
    problems = []
    csp = policy(headers.get("Content-Security-Policy", ""))
    script_sources = csp.get("script-src", csp.get("default-src"))
    if script_sources is None:
        problems.append("no script-src or default-src in the content security policy")
    elif unsafe := UNSAFE_SCRIPT_SOURCES.intersection(script_sources):
        problems.append(f"script sources allow {sorted(unsafe)}")
    if csp.get("frame-ancestors") != ["'none'"]:
        problems.append(f"frame-ancestors is {csp.get('frame-ancestors')}")
    if csp.get("object-src") != ["'none'"]:
        problems.append(f"object-src is {csp.get('object-src')}")
    expected = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    problems += [f"{name} is {headers.get(name)!r}" for name, value in expected.items() if headers.get(name) != value]
    hsts = headers.get("Strict-Transport-Security", "")
    max_age = re.search(r"max-age=(\d+)", hsts)
    if not max_age or int(max_age.group(1)) < ONE_YEAR or "includeSubDomains" not in hsts:
        problems.append(f"Strict-Transport-Security is {hsts!r}")
    return problems


class InlineScriptFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith(("on", "hx-on")):
                self.problems.append(f"<{tag} {name}=…> event handler")
            compact = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
            if compact.startswith(("javascript:", "vbscript:")):
                self.problems.append(f"<{tag} {name}=…> script URL")
            if name == "style":
                self.problems.append(f"<{tag} style=…> inline style")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            self.in_script = True
            if not dict(attrs).get("src"):
                self.problems.append("<script> without src")

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.problems.append(f"inline script {data.strip()[:60]!r}")


def inline_script(html):
    finder = InlineScriptFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def test_the_page_scan_finds_each_kind_of_inline_script():
    page = """<a href="JaVa&#x09;script:alert(1)">x</a> <button onclick="go()">y</button>
    <div hx-on:click="go()" style="color: red"></div> <style>p {}</style>
    <script>alert(1)</script> <script src="/static/js/print.js"></script>"""

    assert inline_script(page) == [
        "<a href=…> script URL",
        "<button onclick=…> event handler",
        "<div hx-on:click=…> event handler",
        "<div style=…> inline style",
        "<style> element",
        "<script> without src",
        "inline script 'alert(1)'",
    ]


def walk(cast, settings):
    """GET every URL as every persona over HTTPS with HSTS on; yields (label, response)."""
    settings.SECURE_HSTS_SECONDS = ONE_YEAR
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    clients = {}
    for persona in matrix.PERSONAS:
        clients[persona] = Client()
        if persona != "anonymous":
            clients[persona].force_login(cast["users"][persona])
    for name, methods in sorted(matrix.MATRIX.items()):
        url = reverse(name, kwargs=cast["kwargs"].get(name, {}))
        for persona in methods["GET"]:
            yield f"GET {url} as {persona}", clients[persona].get(url, secure=True)
    yield "GET /no-such-page/ as anonymous", clients["anonymous"].get("/no-such-page/", secure=True)


def test_every_get_page_has_the_security_headers_and_nothing_inline(cast, settings):
    problems = []
    walked = html_pages = 0
    for label, response in walk(cast, settings):
        walked += 1
        problems += [f"{label}: {problem}" for problem in header_problems(response)]
        if response.headers.get("Content-Type", "").startswith("text/html"):
            html_pages += 1
            problems += [f"{label}: {problem}" for problem in inline_script(response.content.decode())]

    assert not problems, "\n".join(problems[:40])
    # Every URL pattern × persona, and a page that does not exist; most answers are HTML pages.
    assert walked == sum(len(methods["GET"]) for methods in matrix.MATRIX.values()) + 1
    assert html_pages > walked // 2
