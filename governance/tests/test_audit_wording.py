"""Every page words an event the same way: the audit log, the plan page and the action page."""

from django.urls import reverse

from governance import services


def test_the_audit_log_words_workflow_events_as_the_action_page_does(client, story, ni, password):
    services.complete_step(actor=story.staff, step=story.steps[0])
    client.force_login(ni)
    log = client.get(reverse("audit_log")).content.decode()
    action_page = client.get(reverse("action_detail", args=[story.action.pk])).content.decode()
    for sentence in ("Step done: Step 1.", "Status changed from Open to In progress (first step done)."):
        assert sentence in log
        assert sentence in action_page
    assert "Step: completed" not in log
