from django.db import migrations

from qip.reference import load_framework


def load(apps, schema_editor):
    load_framework(apps, "cqc_saf_2023.json")


class Migration(migrations.Migration):
    dependencies = [("qip", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
