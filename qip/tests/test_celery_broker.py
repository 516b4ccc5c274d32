"""The file-system broker's damaged messages are moved aside before a worker starts (see qip/celery.py)."""

import json

from qip.celery import quarantine_damaged_messages


def test_a_half_written_message_is_moved_aside_and_a_good_one_is_kept(settings, tmp_path):
    queue = tmp_path / "queue"
    queue.mkdir()
    (queue / "1_a.celery.msg").write_text(json.dumps({"body": "ok"}))
    (queue / "2_b.celery.msg").write_bytes(b"")  # the writer was killed before writing anything
    (queue / "3_c.celery.msg").write_bytes(b'{"body": "cut o')
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(queue)}

    quarantine_damaged_messages()

    assert [path.name for path in queue.iterdir()] == ["1_a.celery.msg"]
    assert sorted(path.name for path in (tmp_path / "damaged").iterdir()) == ["2_b.celery.msg", "3_c.celery.msg"]
