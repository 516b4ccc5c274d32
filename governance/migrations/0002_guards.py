from django.db import migrations

from governance import db_guards
from qip import audit_guard


def install(apps, schema_editor):
    audit_guard.install_table(schema_editor.connection, "governance_signoff")
    db_guards.install(schema_editor.connection)


def remove(apps, schema_editor):
    db_guards.remove(schema_editor.connection)
    audit_guard.remove(schema_editor.connection)
    audit_guard.install_table(schema_editor.connection, "qip_auditevent")


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial"), ("actions", "0002_initial")]

    operations = [migrations.RunPython(install, remove)]
