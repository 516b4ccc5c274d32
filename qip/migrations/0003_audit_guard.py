from django.db import migrations

from qip import audit_guard


def install(apps, schema_editor):
    audit_guard.install(schema_editor.connection)


def remove(apps, schema_editor):
    audit_guard.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("qip", "0002_cqc_saf_2023")]

    operations = [migrations.RunPython(install, remove)]
