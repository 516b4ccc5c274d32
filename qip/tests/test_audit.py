"""The audit log: one hash chain per organisation, append-only in the database, checked by a command."""

import hashlib
import threading
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from qip import audit, audit_guard
from qip.audit import SYSTEM_CHAIN, canonical, chain_key, verify_chain
from qip.models import AuditChainHead, AuditEvent
from qip.models.audit import GENESIS_HASH
from qip.tasks import verify_audit_chains
from qip.tests.factories import OrganisationFactory

POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: concurrent writers need row locks across connections; SQLite serialises writes",
)


def record_events(organisation, count, action="plan.changed"):
    return [audit.record(action=action, organisation=organisation, data={"n": n}) for n in range(1, count + 1)]


def behind_the_applications_back(sql, params=()):
    """What someone with database access could do: lift the guard, change rows, put it back."""
    audit_guard.remove(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        audit_guard.install(connection)


def verify_command():
    """Run verify_audit_chain; returns (exit code, stdout, stderr) as manage.py would give them."""
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit_chain", stdout=out, stderr=err)
    except CommandError as error:
        err.write(str(error))
        return error.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


# The chain


def test_record_builds_one_chain_per_organisation(org, foreign_org):
    first, second, third = record_events(org, 3)
    foreign = record_events(foreign_org, 2)

    assert [e.seq for e in (first, second, third)] == [1, 2, 3]
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert [e.seq for e in foreign] == [1, 2]
    assert foreign[0].prev_hash == GENESIS_HASH
    assert {e.chain for e in foreign} == {chain_key(foreign_org)} != {chain_key(org)}
    # The stored hash is sha256(previous hash + canonical JSON), recomputable from the row as read back.
    stored = AuditEvent.objects.get(pk=second.pk)
    assert stored.hash == hashlib.sha256((first.hash + canonical(stored)).encode()).hexdigest()
    assert AuditChainHead.objects.get(chain=chain_key(org)).seq == 3


def test_events_without_an_organisation_go_on_the_system_chain(org):
    record_events(org, 1)
    event = audit.record(action="auth.sign_in_failed", data={"username": "nobody@example.org"})
    assert (event.chain, event.seq, event.organisation_id) == (SYSTEM_CHAIN, 1, None)


def test_two_records_in_one_transaction_get_consecutive_numbers(org):
    with transaction.atomic():
        first = audit.record(action="plan.created", organisation=org)
        second = audit.record(action="plan.changed", organisation=org)
    assert second.seq == first.seq + 1
    assert second.prev_hash == first.hash
    assert verify_chain(chain_key(org)).intact


def test_record_keeps_the_actor_and_object(org, manager, home):
    event = audit.record(action="location.changed", organisation=org, actor=manager, obj=home)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor == manager
    assert stored.actor_label == f"Mary Manager <{manager.email}>"
    assert (stored.object_type, stored.object_id, stored.object_label) == ("qip.location", str(home.pk), "Oak House")
    assert list(AuditEvent.objects.for_object(home)) == [stored]


# The verify command


def test_verify_command_reports_an_intact_chain_with_the_number_of_events(org, foreign_org):
    record_events(org, 3)
    record_events(foreign_org, 2)
    audit.record(action="auth.sign_in_failed")

    code, out, err = verify_command()

    assert code == 0, err
    assert "chain intact, 6 events" in out
    assert err == ""


def test_verify_command_reports_a_row_changed_behind_the_applications_back(org):
    events = record_events(org, 3)
    behind_the_applications_back(
        "UPDATE qip_auditevent SET action = %s WHERE id = %s", ["plan.nothing_happened", events[1].pk]
    )

    code, out, err = verify_command()

    assert code != 0
    assert f"{chain_key(org)}: BROKEN at event 2" in err
    assert "was changed after it was written" in err
    assert "chain intact" not in out


def test_verify_command_catches_a_changed_row_whose_hash_was_recomputed(org):
    events = record_events(org, 3)
    tampered = AuditEvent.objects.get(pk=events[1].pk)
    tampered.data = {"n": 99}
    new_hash = audit.compute_hash(tampered)
    behind_the_applications_back(
        "UPDATE qip_auditevent SET data = %s, hash = %s WHERE id = %s", ['{"n": 99}', new_hash, events[1].pk]
    )

    code, _out, err = verify_command()

    assert code != 0
    assert "BROKEN at event 3" in err
    assert "does not link to the event before it" in err


def test_verify_command_reports_a_deleted_middle_row_as_missing(org):
    events = record_events(org, 3)
    behind_the_applications_back("DELETE FROM qip_auditevent WHERE id = %s", [events[1].pk])

    code, _out, err = verify_command()

    assert code != 0
    assert "BROKEN at event 2" in err
    assert "event 2 is missing" in err


def test_verify_command_reports_a_deleted_last_row(org):
    events = record_events(org, 3)
    behind_the_applications_back("DELETE FROM qip_auditevent WHERE id = %s", [events[2].pk])

    code, _out, err = verify_command()

    assert code != 0
    assert "BROKEN at event 3" in err
    assert "should end at event 3 but ends at 2" in err


def test_an_event_written_while_the_check_runs_is_not_a_break(org, monkeypatch):
    """The nightly check at a group's scale takes most of a minute, and people sign in meanwhile."""
    record_events(org, 3)
    read_head = audit._head

    def head_then_someone_signs_in(key):
        head = read_head(key)
        audit.record(action="plan.changed", organisation=org)
        return head

    monkeypatch.setattr(audit, "_head", head_then_someone_signs_in)
    report = verify_chain(chain_key(org))
    monkeypatch.undo()

    assert report.intact and report.events == 3
    assert verify_chain(chain_key(org)).events == 4


def test_nightly_task_counts_broken_chains(org, foreign_org, caplog):
    events = record_events(org, 2)
    record_events(foreign_org, 2)
    assert verify_audit_chains() == {"chains": 2, "broken": 0}

    behind_the_applications_back("UPDATE qip_auditevent SET object_label = 'x' WHERE id = %s", [events[0].pk])

    assert verify_audit_chains() == {"chains": 2, "broken": 1}
    assert f"Audit chain {chain_key(org)} broken at event 1" in caplog.text


# The database refuses changes


def attempts_to_change(event):
    def save_changed():
        event.action = "plan.nothing_happened"
        event.save()

    def raw(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])

    return {
        "raw UPDATE": lambda: raw("UPDATE qip_auditevent SET action = 'x' WHERE id = %s"),
        "raw DELETE": lambda: raw("DELETE FROM qip_auditevent WHERE id = %s"),
        "ORM update()": lambda: AuditEvent.objects.filter(pk=event.pk).update(action="x"),
        "ORM queryset delete()": lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
        "ORM instance delete()": event.delete,
        "ORM save() of a changed event": save_changed,
    }


def assert_every_change_refused(org, extra=None):
    events = record_events(org, 2)
    attempts = {**attempts_to_change(events[0]), **(extra or {})}
    for name, attempt in attempts.items():
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
            pytest.fail(f"{name} was allowed")
    assert AuditEvent.objects.count() == 2
    assert AuditEvent.objects.get(pk=events[0].pk).action == "plan.changed"
    assert verify_chain(chain_key(org)).intact


def test_the_database_refuses_update_delete_and_truncate_of_audit_events(org):
    """Runs on the engine in use: CI runs it on PostgreSQL, `make test` on SQLite (which has no TRUNCATE)."""

    def truncate():
        with connection.cursor() as cursor:
            # Check the deferred foreign keys of the rows just written first: PostgreSQL refuses TRUNCATE
            # while they are pending, which would hide whether the guard itself refuses it.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE qip_auditevent")

    assert_every_change_refused(org, {"TRUNCATE": truncate} if connection.vendor == "postgresql" else None)


def test_flush_outside_the_test_suite_cannot_empty_the_audit_log(org, settings):
    """Only the test suite may lift the guard to flush; an operator's `manage.py flush` is refused."""
    record_events(org, 2)
    settings.AUDIT_GUARD_FLUSHABLE = False

    with pytest.raises(CommandError, match="couldn't be flushed"):
        call_command("flush", interactive=False, verbosity=0)

    assert AuditEvent.objects.count() == 2
    assert verify_chain(chain_key(org)).intact


@pytest.mark.django_db(transaction=True)
def test_flush_between_transactional_tests_lifts_the_guard_and_puts_it_back():
    """Transactional tests are cleaned up by flush: it must empty the audit table and leave the guard on."""
    organisation = OrganisationFactory()
    record_events(organisation, 2)
    assert verify_command()[0] == 0

    call_command("flush", interactive=False, verbosity=0)  # what pytest-django runs after this test too

    assert AuditEvent.objects.count() == 0
    assert AuditChainHead.objects.count() == 0
    organisation = OrganisationFactory()
    event = audit.record(action="plan.created", organisation=organisation)
    assert event.seq == 1
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.count() == 1


# Data round-trips


def test_dates_decimals_uuids_nested_data_and_unicode_verify_after_reading_back(org):
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    data = {
        "date": date(2026, 3, 1),
        "at": datetime(2026, 3, 1, 9, 30, 15, 123000, tzinfo=UTC),
        "target": Decimal("95.50"),
        "reading": Decimal("0.1"),
        "file": ident,
        "nested": {"steps": [{"done": True, "who": None}, {"done": False}], "count": 3, "z": {"a": []}},
        "tuple": (1, "two"),
        "text": "Café – naïve résumé, ‘quoted’ “twice”, 漢字, emoji 😀, tab\there, line\nbreak",
        "Ünïcode key": "value",
    }

    event = audit.record(action="evidence.added", organisation=org, data=data)
    stored = AuditEvent.objects.get(pk=event.pk)

    assert stored.data == {
        "date": "2026-03-01",
        "at": "2026-03-01T09:30:15.123Z",
        "target": "95.50",
        "reading": "0.1",
        "file": str(ident),
        "nested": {"steps": [{"done": True, "who": None}, {"done": False}], "count": 3, "z": {"a": []}},
        "tuple": [1, "two"],
        "text": data["text"],
        "Ünïcode key": "value",
    }
    assert stored.data == event.data  # what was hashed is what the database gives back
    assert audit.compute_hash(stored) == stored.hash
    assert verify_chain(chain_key(org)).intact


def test_numbers_verify_after_reading_back(org):
    """PostgreSQL's jsonb keeps numbers as numeric: -0.0 comes back as 0.0, 1e16 as 10000000000000000."""
    data = {
        "change": round(-0.04, 1),  # -0.0
        "big": 1e16,
        "huge": 1.5e300,
        "small": 1.5e-7,
        "third": 1 / 3,
        "sum": 0.1 + 0.2,
        "whole": 2.0,
        "int": 2**63 + 1,
        "negative": -7,
    }

    event = audit.record(action="measure.reading_added", organisation=org, data=data)
    stored = AuditEvent.objects.get(pk=event.pk)

    assert audit.compute_hash(stored) == stored.hash
    assert verify_chain(chain_key(org)).intact
    assert stored.data == event.data
    assert stored.data["change"] == 0
    assert stored.data["big"] == 10**16
    assert stored.data["small"] == 1.5e-7
    assert stored.data["third"] == 1 / 3


@pytest.mark.django_db(transaction=True)
@POSTGRES_ONLY
def test_concurrent_writers_to_one_organisation_each_get_their_own_number():
    """Real concurrency needs row locks across connections; SQLite serialises writers on its file lock instead."""
    organisation = OrganisationFactory()
    audit.record(action="organisation.created", organisation=organisation)
    start = threading.Barrier(4)
    errors = []

    def writer():
        try:
            start.wait()
            for _ in range(5):
                with transaction.atomic():
                    audit.record(action="plan.changed", organisation=organisation.pk)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    seqs = list(AuditEvent.objects.filter(chain=chain_key(organisation)).values_list("seq", flat=True))
    assert seqs == list(range(1, 22))
    assert verify_chain(chain_key(organisation)).intact
