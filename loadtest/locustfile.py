"""Load test of issue 9: registered managers, staff and approvers working at once (see docs/performance.md).

Each simulated person signs in with their own account (two-factor for approvers, from the demo key)
and then works at a person's pace: managers browse their plans and actions, add evidence and record
readings; staff browse; nominated individuals and quality leads watch the oversight page and the
sign-off inbox and decide closure requests: they sign those the gate supports (at most once per
30-second code, as an authenticator allows) and challenge the rest.
A form the server refuses counts as a failure, so a broken mix cannot pass for a fast one.

Accounts come from `python manage.py loadtest_accounts`, written to $LOAD_ACCOUNTS by scripts/loadtest.sh.
"""

import itertools
import json
import os
import random
import re
import time
from datetime import date, timedelta
from pathlib import Path

from html_forms import form_fields, links
from locust import HttpUser, between, task
from totp import code

ACCOUNTS = json.loads(Path(os.environ.get("LOAD_ACCOUNTS", "../var/bench/accounts.json")).read_text())
PASSWORD = ACCOUNTS["password"]
NEXT = {role: itertools.cycle(emails) for role, emails in ACCOUNTS["people"].items()}
ERROR = re.compile(r'class="(?:invalid-feedback|alert[^"]*alert-danger)[^"]*"[^>]*>\s*(?:<[^>]+>\s*)*([^<]+)')


class Person(HttpUser):
    abstract = True
    role = None
    wait_time = between(1, 4)

    def on_start(self):
        self.email = next(NEXT[self.role])
        self.plans, self.actions = [], []
        page = self.client.get("/accounts/login/", name="sign in (form)")
        fields = form_fields(page.text, "username")
        fields.update(username=self.email, password=PASSWORD)
        with self.post("/accounts/login/", fields, "sign in") as response:
            if response.status_code != 302:
                response.failure(f"sign-in refused for {self.email}")
        # Signing in goes to the dashboard, which sends someone who owes a second factor on to give it.
        landing = self.client.get(response.headers.get("Location", "/"), name="dashboard", allow_redirects=False)
        if "/accounts/two-factor/" in landing.headers.get("Location", ""):
            self.second_factor(landing.headers["Location"])

    def second_factor(self, url):
        fields = form_fields(self.page(url, "two-factor code (form)").text, "code")
        fields["code"] = code()
        self.last_code_at = time.time()
        with self.post(url, fields, "two-factor code") as verified:
            if verified.status_code != 302:
                verified.failure(f"code refused for {self.email}")

    def post(self, url, fields, name):
        # Not following the redirect: the figure is the POST's own, not the next page's.
        return self.client.post(url, data=fields, name=name, catch_response=True, allow_redirects=False)

    def page(self, url, name):
        return self.client.get(url, name=name)

    def submit(self, url, name, having, values, refused_ok=(), html=None):
        """GET the form at `url` (unless its `html` is given), fill in `values`, POST it; a re-shown form fails."""
        html = self.page(url, f"{name} (form)").text if html is None else html
        fields = form_fields(html, having)
        if not fields:
            return None
        fields.update(values)
        with self.post(url, fields, name) as response:
            if response.status_code == 200:
                errors = " ".join(ERROR.findall(response.text)) or "the form came back"
                if not any(ok in errors for ok in refused_ok):
                    response.failure(f"refused: {errors.strip()[:120]}")
            elif response.status_code != 302:
                response.failure(f"answered {response.status_code}")
            return response

    def find_work(self):
        if not self.plans:
            listing = self.page("/plans/?status=open", "plan list, filtered")
            self.plans = links(listing.text, r"/plans/\d+/")[:10]
        if not self.actions and self.plans:
            detail = self.page(random.choice(self.plans), "plan detail")
            self.actions = links(detail.text, r"/actions/\d+/")[:10]

    @task(3)
    def dashboard(self):
        self.page("/", "dashboard")

    @task(1)
    def notifications(self):
        self.page("/notifications/", "notification list")

    @task(2)
    def browse(self):
        self.find_work()
        if self.plans:
            self.page(random.choice(self.plans), "plan detail")
        if self.actions:
            self.page(random.choice(self.actions), "action detail with gate")


class Manager(Person):
    role = "managers"
    weight = 6

    @task(2)
    def plan_list(self):
        self.page("/plans/?status=open&o=-risk", "plan list, filtered")

    @task(1)
    def add_evidence(self):
        self.find_work()
        if self.actions:
            action = re.search(r"\d+", random.choice(self.actions)).group()
            values = {
                "title": f"Spot check of MAR charts, load test {random.randint(1, 10**6)}",
                "collected_on": date.today().isoformat(),
                "summary": "Ten charts checked; all signed at the time of administration.",
                "recorded_where": "Medicines audit folder",
            }
            self.submit(f"/evidence/action/{action}/add/", "add evidence", "title", values)

    @task(1)
    def add_reading(self):
        self.find_work()
        if self.actions:
            action = re.search(r"\d+", random.choice(self.actions)).group()
            day = date.today() - timedelta(days=random.randint(0, 700))
            values = {"period_end": day.isoformat(), "value": str(random.randint(80, 100))}
            url = f"/measures/action/{action}/readings/add/"
            self.submit(url, "add reading", "period_end", values, refused_ok=("already",))


class Staff(Person):
    role = "staff"
    weight = 2


class Approver(Person):
    role = "approvers"
    weight = 2
    last_code_at = 0.0

    @task(2)
    def oversight(self):
        self.page("/oversight/", "provider oversight")

    @task(2)
    def inbox(self):
        self.page("/signoff/", "sign-off inbox")

    @task(1)
    def decide(self):
        if time.time() - self.last_code_at < 31:
            return  # an authenticator code is good once
        requests = links(self.page("/signoff/", "sign-off inbox").text, r"/signoff/\d+/")
        if not requests:
            return
        url = random.choice(requests)
        html = self.page(url, "closure request").text
        if "Every criterion is met." in html:
            self.last_code_at = time.time()
            values = {"password": PASSWORD, "code": code()}
            self.submit(url, "approve closure", "password", values, html=html)
        else:
            # The gate is not met: the signer sends it back, as the page tells them approval would be refused.
            values = {"challenge-reason": "The evidence does not yet show the change has held: see the gate."}
            self.submit(url, "challenge closure", "challenge-reason", values, html=html)
