"""Real Celery workers on the configured broker (Redis in CI, the file-system broker locally).

The workers run in subprocesses against a database of their own (a fresh PostgreSQL database, or a
SQLite file) so they see committed rows, on a queue of their own so a developer's worker on the same
broker never takes these tasks. E-mail goes to files, one per message, so the tests can count them.

1. A worker takes a sweep from the broker and makes its notifications, each e-mailed once.
2. A worker is killed with SIGKILL in the middle of a sweep; the sweep is run again on a new worker
   with the pending-email sweep, and every due reminder is there exactly once and e-mailed. Only an
   e-mail whose sender died between sending and stamping it sent can go twice (same Message-ID).
3. A commissioner pack too big to build while the person waits goes through the broker and a worker
   builds and stores it.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.worker

BASE_DIR = Path(settings.BASE_DIR)
# Each action makes three reminders: its overdue step, its step due soon, and its own due date.
ACTIONS, ACTIONS_TO_KILL = 100, 400
CONCURRENCY = 4


class WorkerDatabase:
    """A database the subprocesses share, and a way to count rows in it from here."""

    def __init__(self, tmp_path):
        self.vendor = connection.vendor
        if self.vendor == "postgresql":
            import psycopg

            params = connection.get_connection_params()
            self.name = f"qip_worker_{uuid.uuid4().hex[:10]}"
            self.server = {key: params[key] for key in ("host", "port", "user", "password") if params.get(key)}
            with psycopg.connect(dbname="postgres", autocommit=True, **self.server) as admin:
                admin.execute(f'CREATE DATABASE "{self.name}"')
            auth = self.server.get("user", "")
            if self.server.get("password"):
                auth += f":{self.server['password']}"
            host = f"{self.server.get('host', '127.0.0.1')}:{self.server.get('port', 5432)}"
            self.url = f"postgres://{auth}@{host}/{self.name}"
        else:
            self.path = tmp_path / "worker.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def count(self, sql, *params):
        if self.vendor == "postgresql":
            import psycopg

            with psycopg.connect(dbname=self.name, **self.server) as conn:
                return conn.execute(sql, params).fetchone()[0]
        with sqlite3.connect(self.path, timeout=10) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchone()[0]

    def drop(self):
        if self.vendor == "postgresql":
            import psycopg

            with psycopg.connect(dbname="postgres", autocommit=True, **self.server) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def worker_setup(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("worker")
    database = WorkerDatabase(tmp_path)
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "qip.settings",
        "DJANGO_TESTING": "0",
        "DATABASE_URL": database.url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": f"worker-test-{uuid.uuid4().hex[:8]}",
        "EMAIL_URL": f"file://{mail_dir}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PENDING_EMAIL_AFTER_SECONDS": "0",
        # Long enough that a send slowed down by a busy machine (a SQLite write waiting its turn) keeps its
        # claim; a lapsed claim is resent by design, which would be counted here as a double send.
        "EMAIL_CLAIM_LEASE_SECONDS": "30",
        "LOG_LEVEL": "WARNING",
    }
    run(env, "manage.py", "migrate", "--verbosity", "0")
    yield {"env": env, "database": database, "mail_dir": mail_dir, "media": tmp_path / "media"}
    database.drop()


def run(env, *args, timeout=300):
    result = subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def shell(env, code):
    return run(env, "manage.py", "shell", "--command", code).strip()


def start_worker(env, log_path):
    log = open(log_path, "a")  # noqa: SIM115 - held open for the worker's life
    celery = Path(sys.executable).with_name("celery")
    return subprocess.Popen(
        [str(celery), "-A", "qip", "worker", "-Q", env["CELERY_TASK_DEFAULT_QUEUE"], "--concurrency", str(CONCURRENCY)]
        + ["--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so SIGKILL reaches the pool's children too
    )


def stop(worker, sig=signal.SIGTERM):
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def make_load(env, label, actions):
    code = (
        "from governance.load import make_sweep_load; "
        f"print(make_sweep_load(actions={actions}, prefer='immediate', label='{label}').pk)"
    )
    return int(shell(env, code).splitlines()[-1])


def enqueue(env, *names):
    calls = "; ".join(f"run_sweep.delay('{name}')" for name in names)
    shell(env, f"from governance.tasks import run_sweep; {calls}")


def reminders(database, organisation_id):
    return database.count("SELECT COUNT(*) FROM governance_notification WHERE organisation_id = %s", organisation_id)


def wait_until(condition, *, timeout, what, meanwhile=None, every=5.0):
    deadline = time.monotonic() + timeout
    last = time.monotonic()
    while time.monotonic() < deadline:
        if condition():
            return
        if meanwhile and time.monotonic() - last > every:
            meanwhile()
            last = time.monotonic()
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def sent_message_ids(mail_dir, label):
    """Message-IDs of the e-mails to this load's people (the file backend writes a file per send)."""
    ids = []
    for path in mail_dir.glob("*.log"):
        text = path.read_text()
        if f".{label}@sweep.invalid" in text:
            ids += [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Message-ID:")]
    return ids


def test_a_worker_takes_a_sweep_from_the_broker_and_sends_each_reminder_once(worker_setup, tmp_path):
    env, database, mail_dir = worker_setup["env"], worker_setup["database"], worker_setup["mail_dir"]
    label = f"a{uuid.uuid4().hex[:6]}"
    organisation_id = make_load(env, label, ACTIONS)
    expected = 3 * ACTIONS
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        enqueue(env, "steps_and_actions")
        wait_until(lambda: reminders(database, organisation_id) == expected, timeout=300, what="the reminders")
        wait_until(lambda: len(sent_message_ids(mail_dir, label)) >= expected, timeout=300, what="the e-mails")
        enqueue(env, "steps_and_actions")  # a rerun on the worker makes and sends nothing more
        time.sleep(3)
    finally:
        stop(worker)
    ids = sent_message_ids(mail_dir, label)
    assert reminders(database, organisation_id) == expected
    assert len(ids) == len(set(ids)) == expected


def test_a_worker_killed_mid_sweep_leaves_nothing_missed_or_doubled_after_a_rerun(worker_setup, tmp_path):
    env, database, mail_dir = worker_setup["env"], worker_setup["database"], worker_setup["mail_dir"]
    label = f"k{uuid.uuid4().hex[:6]}"
    organisation_id = make_load(env, label, ACTIONS_TO_KILL)
    expected = 3 * ACTIONS_TO_KILL
    worker = start_worker(env, tmp_path / "worker-killed.log")
    try:
        enqueue(env, "steps_and_actions")
        wait_until(lambda: reminders(database, organisation_id) >= expected // 10, timeout=300, what="the sweep")
    finally:
        stop(worker, signal.SIGKILL)
    made_before_kill = reminders(database, organisation_id)
    assert made_before_kill < expected, "the sweep finished before the kill; make the load bigger"
    print(f"\nworker killed with {made_before_kill} of {expected} reminders made")

    worker = start_worker(env, tmp_path / "worker-rerun.log")
    try:
        enqueue(env, "steps_and_actions")
        wait_until(lambda: reminders(database, organisation_id) == expected, timeout=300, what="the rerun")
        # E-mails queued on the killed worker, or claimed by it and never sent, are the pending sweep's.
        wait_until(
            lambda: len(set(sent_message_ids(mail_dir, label))) >= expected,
            timeout=300,
            what="the e-mails",
            meanwhile=lambda: enqueue(env, "pending_email"),
        )
        time.sleep(3)
    finally:
        stop(worker)
    ids = sent_message_ids(mail_dir, label)
    assert reminders(database, organisation_id) == expected, "every reminder made, none twice"
    assert len(set(ids)) == expected, "every reminder e-mailed"
    # A pool process killed after handing a message to the mail backend but before stamping it sent leaves
    # that one e-mail to be sent again: at most one per pool process, and with the same Message-ID, so the
    # receiving mail system can tell it is the same message. Anything more would be a claim failing.
    resent = len(ids) - len(set(ids))
    assert resent <= CONCURRENCY, f"{resent} e-mails sent twice"


def test_a_worker_builds_a_queued_commissioner_pack(worker_setup, tmp_path):
    env, database = worker_setup["env"], worker_setup["database"]
    code = (
        "from datetime import timedelta; from django.db import transaction; from django.utils import timezone; "
        "from governance import services_packs; "
        "from governance.management.commands.bench_pack import Command; "
        "user, organisation, plans = Command().build(3, 2, 8); "
        "pack = services_packs.request_pack(actor=user, organisation=organisation, scope='organisation', "
        "date_from=timezone.localdate() - timedelta(days=365), date_to=timezone.localdate(), "
        "include_closed=True, redact=True); "
        "assert not services_packs.builds_now(pack); "
        "from governance.tasks import build_pack; build_pack.delay(pack.pk); print(pack.pk)"
    )
    pack_id = int(shell(env, code).splitlines()[-1])

    def status():
        return database.count("SELECT status FROM governance_pack WHERE id = %s", pack_id)

    assert status() == "queued"
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        wait_until(lambda: status() in ("ready", "failed"), timeout=300, what="the pack to be built")
    finally:
        stop(worker)
    assert status() == "ready", (tmp_path / "worker.log").read_text()[-3000:]
    name = database.count("SELECT file FROM governance_pack WHERE id = %s", pack_id)
    stored = worker_setup["media"] / name
    assert stored.read_bytes().startswith(b"%PDF")
    assert database.count("SELECT page_count FROM governance_pack WHERE id = %s", pack_id) > 10
    assert database.count("SELECT progress FROM governance_pack WHERE id = %s", pack_id) == 100
