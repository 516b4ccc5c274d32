"""Backup and restore of one organisation: export_organisation, then import_organisation into an empty database.

"Empty" is made with the project's flush (it lifts the append-only guards in tests only), and the
stored files are removed from MEDIA_ROOT, so every row and file that comes back came from the archive.
"""

import hashlib
import io
import json
import shutil
import tarfile

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from actions.models import Action
from evidence.models import EvidenceFile, EvidenceItem
from governance.models import SignOff
from governance.tests.pack_fixtures import ready_pack
from qip import audit
from qip.backup.scope import NOT_EXPORTED, PROJECT_APPS, REFERENCE, TABLES
from qip.management.commands.seed_demo import PASSWORD as DEMO_PASSWORD
from qip.models import EvidenceCategory, Framework, KeyQuestion, Organisation, Plan, QualityStatement, Regulation, User
from qip.reference import load_framework
from qip.tests.domain_factories import PDF_BYTES, PNG_BYTES, ActionFactory, EvidenceFactory, close_action

REFERENCE_KEYS = {
    "qip.qualitystatement": lambda row: (row.key_question.framework.code, row.key_question.slug, row.slug),
    "qip.regulation": lambda row: (row.framework.code, row.number),
    "qip.evidencecategory": lambda row: (row.framework.code, row.slug),
}


def project_models():
    return [model for app in PROJECT_APPS for model in apps.get_app_config(app).get_models(include_auto_created=True)]


def snapshot():
    """Every row of the project's tables (reference data and tables left out on purpose aside),
    with CQC reference ids replaced by what identifies those rows in any database."""
    natural = {
        label: {row.pk: key(row) for row in apps.get_model(label).objects.all()}
        for label, key in REFERENCE_KEYS.items()
    }
    tables = {}
    for model in project_models():
        label = model._meta.label_lower
        if label in REFERENCE or label in NOT_EXPORTED:
            continue
        references = {
            field.attname: natural[field.related_model._meta.label_lower]
            for field in model._meta.concrete_fields
            if field.is_relation and field.related_model._meta.label_lower in REFERENCE
        }
        rows = {}
        for row in model._base_manager.values():
            rows[row["id"]] = {
                name: references[name][value] if name in references else value for name, value in row.items()
            }
        tables[label] = rows
    return tables


def stored_files():
    root = settings.MEDIA_ROOT
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file()
    }


def empty_the_database():
    pending_checks = connection.vendor == "postgresql" and connection.in_atomic_block
    if pending_checks:
        # PostgreSQL refuses TRUNCATE while the test's transaction has foreign-key checks waiting for commit.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    if pending_checks:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


def export(organisation, path):
    out = io.StringIO()
    call_command("export_organisation", str(organisation.pk), output=str(path), stdout=out)
    return out.getvalue()


def restore(path):
    out = io.StringIO()
    call_command("import_organisation", str(path), stdout=out)
    return out.getvalue()


def verify_chains():
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    return out.getvalue()


def merge(*snapshots):
    merged = {label: {} for label in snapshots[0]}
    for tables in snapshots:
        for label, rows in tables.items():
            merged[label].update(rows)
    return merged


def test_every_model_of_the_project_is_exported_or_left_out_for_a_stated_reason():
    decided = {label for label, _lookup, _source in TABLES} | set(REFERENCE) | set(NOT_EXPORTED)
    assert sorted(model._meta.label_lower for model in project_models() if model._meta.label_lower not in decided) == []


def test_the_demo_organisations_come_back_row_for_row_and_file_for_file(demo, tmp_path):
    example = Organisation.objects.get(name="Example Care Group")
    northgate = Organisation.objects.get(name="Northgate Homecare")
    action = Action.objects.filter(plan__organisation=example).first()
    EvidenceFactory(action=action, files=[("audit.pdf", PDF_BYTES), ("chart.png", PNG_BYTES)])
    quality = User.objects.get(email="quality@example.com")  # a member of both organisations
    ready_pack(organisation=example, requested_by=quality, locations=[action.location], plans=[action.plan])
    before, files_before = snapshot(), stored_files()
    events = {org.pk: audit.verify_chain(audit.chain_key(org)).events for org in (example, northgate)}
    assert len(files_before) == 3 and all(events.values())

    export(example, tmp_path / "example.tar.gz")
    export(northgate, tmp_path / "northgate.tar")

    empty_the_database()
    assert restore(tmp_path / "example.tar.gz").startswith("Restored Example Care Group:")
    assert verify_chains() == f"chain intact, {events[example.pk]} events (1 chains)\n"
    assert stored_files() == files_before
    assert User.objects.get(email="ni@example.com").check_password(DEMO_PASSWORD)
    assert not Organisation.objects.filter(pk=northgate.pk).exists()
    example_rows = snapshot()

    empty_the_database()
    restore(tmp_path / "northgate.tar")
    assert verify_chains() == f"chain intact, {events[northgate.pk]} events (1 chains)\n"
    assert User.objects.get(email="quality@example.com").check_password(DEMO_PASSWORD)

    # Between them the two exports hold every row, and each row came back exactly as it was.
    assert merge(example_rows, snapshot()) == before


@pytest.fixture
def closed_action(org, home, manager, ni):
    action = ActionFactory(plan__organisation=org, plan__locations=[home], plan__owner=manager, steps=2)
    action.plan.quality_statements.set(QualityStatement.objects.all()[:2])
    action.plan.regulations.set(Regulation.objects.all()[:1])
    EvidenceFactory(action=action, files=[("audit.pdf", PDF_BYTES)])
    return close_action(action, signer=ni)


@pytest.fixture
def archive(closed_action, tmp_path):
    path = tmp_path / "org.tar.gz"
    export(closed_action.plan.organisation, path)
    return path


def test_a_closed_action_with_its_signature_and_files_survives_a_restore(db, archive, closed_action):
    before, files_before = snapshot(), stored_files()
    empty_the_database()

    restore(archive)

    assert snapshot() == before
    assert stored_files() == files_before
    restored = Action.objects.get(pk=closed_action.pk)
    assert restored.is_closed and restored.closing_signoff == SignOff.objects.get(decision="approved")
    assert verify_chains().startswith("chain intact")


def test_work_carries_on_after_a_restore(db, archive, closed_action):
    events = audit.verify_chain(audit.chain_key(closed_action.plan.organisation)).events
    empty_the_database()
    restore(archive)
    organisation = Organisation.objects.get()

    # New rows take new ids (PostgreSQL's sequences were moved past the restored ones) and extend the chain.
    action = ActionFactory(plan__organisation=organisation, plan__owner=closed_action.owner)
    audit.record(action="action.created", organisation=organisation, actor=closed_action.owner, obj=action)

    assert action.pk > closed_action.pk
    assert verify_chains() == f"chain intact, {events + 1} events (1 chains)\n"


def test_restore_into_a_database_that_holds_an_organisation_is_refused_and_changes_nothing(db, archive):
    before = snapshot()

    with pytest.raises(CommandError, match="already holds organisations or plans.*Nothing was restored"):
        restore(archive)

    assert snapshot() == before


def _rewrite(archive, member, change):
    with tarfile.open(archive) as source:
        members = [(info, source.extractfile(info).read()) for info in source.getmembers()]
    with tarfile.open(archive, "w:gz") as out:
        for info, data in members:
            if info.name == member:
                data = change(data)
                info.size = len(data)
            out.addfile(info, io.BytesIO(data))


def _evidence_member():
    return "files/" + EvidenceFile.objects.get().file.name


def _flip_last_byte(data):
    return data[:-1] + bytes([data[-1] ^ 1])


def _retitle_plan(data):
    row = json.loads(data)
    row["title"] = "A quieter title"
    return (json.dumps(row) + "\n").encode()


@pytest.mark.parametrize(
    ("member", "change", "named"),
    [
        (_evidence_member, _flip_last_byte, "files/evidence/"),
        (lambda: "data/qip.plan.jsonl", _retitle_plan, "data/qip.plan.jsonl"),
    ],
    ids=["evidence file", "plan row"],
)
def test_a_tampered_archive_is_refused_with_the_member_named_and_nothing_written(db, archive, member, change, named):
    _rewrite(archive, member(), change)
    empty_the_database()

    with pytest.raises(
        CommandError, match=f"changed or damaged since it was made: {named}.*does not match its SHA-256"
    ):
        restore(archive)

    assert not Organisation.objects.exists() and not User.objects.exists()
    assert stored_files() == {}


def test_someone_created_before_the_restore_is_named_and_nothing_is_written(db, archive, manager):
    email = manager.email
    empty_the_database()
    User.objects.create_user(email=email, full_name="Made too early", password="x" * 12)

    with pytest.raises(CommandError, match=f"already has a user \\({email}, id \\d+\\).*Nothing was restored"):
        restore(archive)

    assert not Organisation.objects.exists() and stored_files() == {}


def test_reference_data_is_matched_by_what_it_is_when_this_database_numbered_it_differently(db, archive):
    plan = Plan.objects.get()
    statements = sorted(plan.quality_statements.values_list("slug", flat=True))
    category = EvidenceItem.objects.first().category.slug
    empty_the_database()
    # Reload the CQC framework after a local one, so every reference row gets another id.
    for model in (QualityStatement, KeyQuestion, EvidenceCategory, Regulation, Framework):
        model.objects.all().delete()
    local = Framework.objects.create(code="local", name="A local framework")
    EvidenceCategory.objects.create(framework=local, slug="local", name="Local", order=1)
    load_framework(apps, "cqc_saf_2023.json")

    assert "0 CQC reference rows added" in restore(archive)

    plan = Plan.objects.get()
    assert sorted(plan.quality_statements.values_list("slug", flat=True)) == statements
    assert EvidenceItem.objects.first().category.slug == category
