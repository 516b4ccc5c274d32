"""The notification pages: the list, the unread count in the header, marking read, opening, settings."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance import notify
from governance.forms_notifications import field_name
from governance.models import Channel, Kind, Notification, NotificationPreference
from governance.models_notifications import OPTIONAL_KINDS
from qip.models import Role
from qip.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

LIST = reverse("notification_list")
SETTINGS = reverse("notification_settings")


def notice(person, org, title="Review of QIP-1 due", kind=Kind.REVIEW_DUE, url="/plans/", read=False):
    notification = notify.notify(
        recipient_id=person.pk,
        organisation_id=org.pk,
        kind=kind,
        key=f"test:{Notification.objects.count()}:{title}",
        title=title,
        body="Due on 1 Dec 2026.",
        url=url,
    )
    if read:
        Notification.objects.filter(pk=notification.pk).update(read_at=notification.created_at)
    return notification


def signed_in(client, user):
    client.force_login(user)
    return client


def listed_titles(response):
    return [notification.title for notification in response.context["page"].object_list]


# The list


def test_the_list_shows_my_notifications_here_newest_first_with_unread_marked(client, org, manager, quality):
    notice(manager, org, "Older, read", read=True)
    notice(manager, org, "Newer, unread")
    notice(quality, org, "The quality lead's")

    response = signed_in(client, manager).get(LIST)

    assert response.status_code == 200
    assert listed_titles(response) == ["Newer, unread", "Older, read"]
    html = response.content.decode()
    assert html.count("notification-unread") == 1
    assert html.count(">Unread</span>") == 1
    assert "The quality lead&#x27;s" not in html and "The quality lead's" not in html


def test_another_organisations_notifications_are_not_shown_nor_counted(client, org, foreign_org, manager):
    MembershipFactory(user=manager, organisation=foreign_org, role=Role.QUALITY_LEAD)
    notice(manager, org, "Here")
    notice(manager, foreign_org, "Over there")

    response = signed_in(client, manager).get(LIST)
    assert listed_titles(response) == ["Here"]
    assert response.context["unread_notifications"] == 1

    client.post(reverse("switch_organisation"), {"organisation": foreign_org.pk})
    response = client.get(LIST)
    assert listed_titles(response) == ["Over there"]


def test_the_unread_filter_and_the_pages(client, org, manager):
    for number in range(30):
        notice(manager, org, f"Notice {number:02d}", read=number % 2 == 0)
    client = signed_in(client, manager)

    first = client.get(LIST)
    assert len(first.context["page"].object_list) == 25
    assert listed_titles(first)[0] == "Notice 29"
    assert len(client.get(LIST, {"page": 2}).context["page"].object_list) == 5

    unread = client.get(LIST, {"show": "unread"})
    assert len(unread.context["page"].object_list) == 15
    assert all(notification.read_at is None for notification in unread.context["page"].object_list)
    assert client.get(LIST, {"show": "nonsense"}).context["show"] == "all"


def test_an_empty_list_says_so(client, org, viewer):
    response = signed_in(client, viewer).get(LIST)
    assert response.status_code == 200
    assert "No notifications yet" in response.content.decode()


def test_every_role_has_the_pages_and_anonymous_is_sent_to_sign_in(client, org, staff, viewer, ni):
    for person in (staff, viewer, ni):
        client.force_login(person)
        assert client.get(LIST).status_code == 200
        assert client.get(SETTINGS).status_code == 200
    client.logout()
    response = client.get(LIST)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_lists_query_count_does_not_grow_with_notifications(client, org, manager):
    client = signed_in(client, manager)
    client.get(LIST)  # warm the session

    def count(number):
        for _ in range(number):
            notice(manager, org, "A reminder")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST)
        assert response.status_code == 200
        return len(queries), len(response.context["page"].object_list)

    few, shown_few = count(3)
    many, shown_many = count(47)
    assert (shown_few, shown_many) == (3, 25)
    assert few == many, f"{few} queries for 3 notifications, {many} for 50"


# The header


def test_the_header_shows_the_unread_count_in_the_links_name(client, org, manager, quality):
    notice(manager, org, "One")
    notice(manager, org, "Two")
    notice(manager, org, "Read", read=True)
    notice(quality, org, "Not mine")

    html = signed_in(client, manager).get(reverse("home")).content.decode()

    assert 'data-testid="notifications-link"' in html
    assert 'aria-label="Notifications, 2 unread"' in html
    assert 'notifications-count">2</span>' in html


def test_with_nothing_unread_the_header_shows_no_badge(client, org, manager):
    notice(manager, org, "Read", read=True)
    html = signed_in(client, manager).get(reverse("home")).content.decode()
    assert 'data-testid="notifications-link"' in html
    assert "notifications-count" not in html


def test_the_unread_count_is_one_query(rf, org, manager):
    from governance.context_processors import notifications

    notice(manager, org, "One")
    request = rf.get("/")
    request.user, request.organisation = manager, org
    manager._qip_memberships = list(manager.memberships.select_related("organisation").prefetch_related("locations"))
    with CaptureQueriesContext(connection) as queries:
        assert notifications(request) == {"unread_notifications": 1, "unread_label": "1"}
    assert len(queries) == 1


# Marking read and opening


def test_marking_one_read_returns_to_the_page_it_was_on(client, org, manager):
    notification = notice(manager, org)
    client = signed_in(client, manager)
    response = client.post(reverse("notification_read", args=[notification.pk]), {"next": f"{LIST}?show=unread"})
    assert response.status_code == 302 and response.url == f"{LIST}?show=unread"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert client.get(LIST).context["unread_notifications"] == 0


def test_marking_read_never_leaves_the_site(client, org, manager):
    notification = notice(manager, org)
    response = signed_in(client, manager).post(
        reverse("notification_read", args=[notification.pk]), {"next": "https://elsewhere.example/"}
    )
    assert response.url == LIST


def test_another_persons_notification_is_not_found_and_stays_unread(client, org, manager, quality, outsider):
    notification = notice(quality, org)
    for person in (manager, outsider):
        client.force_login(person)
        assert client.post(reverse("notification_read", args=[notification.pk])).status_code == 404
        assert client.post(reverse("notification_open", args=[notification.pk])).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_opening_marks_it_read_and_goes_where_it_points(client, org, manager):
    notification = notice(manager, org, url="/signoff/7/")
    response = signed_in(client, manager).post(reverse("notification_open", args=[notification.pk]))
    assert response.status_code == 302 and response.url == "/signoff/7/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_a_notification_that_points_off_the_site_goes_to_the_list(client, org, manager):
    notification = notice(manager, org, url="https://elsewhere.example/phish")
    response = signed_in(client, manager).post(reverse("notification_open", args=[notification.pk]))
    assert response.url == LIST


def test_reading_needs_a_post(client, org, manager):
    notification = notice(manager, org)
    client = signed_in(client, manager)
    assert client.get(reverse("notification_read", args=[notification.pk])).status_code == 405
    assert client.get(reverse("notification_open", args=[notification.pk])).status_code == 405
    assert client.get(reverse("notification_read_all")).status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_marks_mine_here_only(client, org, foreign_org, manager, quality):
    MembershipFactory(user=manager, organisation=foreign_org, role=Role.QUALITY_LEAD)
    mine = [notice(manager, org, "One"), notice(manager, org, "Two")]
    elsewhere = notice(manager, foreign_org, "Elsewhere")
    theirs = notice(quality, org, "Theirs")

    response = signed_in(client, manager).post(reverse("notification_read_all"), follow=True)

    assert "Marked 2 notifications as read." in response.content.decode()
    assert Notification.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=False).count() == 2
    assert Notification.objects.filter(pk__in=[elsewhere.pk, theirs.pk], read_at__isnull=True).count() == 2


# Settings


def settings_post(**chosen):
    data = {field_name(kind): Channel.DIGEST for kind in OPTIONAL_KINDS}
    data.update({field_name(kind): channel for kind, channel in chosen.items()})
    return data


def test_settings_show_each_optional_kind_with_the_current_choice(client, org, manager):
    NotificationPreference.objects.create(user=manager, kind=Kind.STEP_DUE, channel=Channel.OFF)
    response = signed_in(client, manager).get(SETTINGS)
    form = response.context["form"]
    assert set(form.fields) == {field_name(kind) for kind in OPTIONAL_KINDS}
    assert form[field_name(Kind.STEP_DUE)].value() == Channel.OFF
    assert form[field_name(Kind.REVIEW_DUE)].value() == Channel.DIGEST
    html = response.content.decode()
    assert "<legend" in html and "Always e-mailed at once" in html
    for label, _why in response.context["always"]:
        assert label in html
    assert field_name(Kind.SIGNOFF_REQUESTED) not in html


def test_settings_are_saved_as_one_row_per_kind(client, org, staff):
    client = signed_in(client, staff)
    data = settings_post(**{Kind.STEP_DUE: Channel.IMMEDIATE, Kind.STABILITY_REACHED: Channel.OFF})
    response = client.post(SETTINGS, data)
    assert response.status_code == 302 and response.url == SETTINGS

    saved = dict(NotificationPreference.objects.filter(user=staff).values_list("kind", "channel"))
    assert len(saved) == len(OPTIONAL_KINDS)
    assert saved[Kind.STEP_DUE] == Channel.IMMEDIATE and saved[Kind.STABILITY_REACHED] == Channel.OFF
    assert saved[Kind.REVIEW_DUE] == Channel.DIGEST
    assert notify.channel_for(staff.pk, Kind.STABILITY_REACHED) == Channel.OFF  # what the sweeps will use

    client.post(SETTINGS, settings_post(**{Kind.STEP_DUE: Channel.DIGEST}))  # changed again: still one row each
    assert NotificationPreference.objects.filter(user=staff).count() == len(OPTIONAL_KINDS)
    assert NotificationPreference.objects.get(user=staff, kind=Kind.STEP_DUE).channel == Channel.DIGEST


def test_a_bad_setting_is_shown_beside_its_field_and_nothing_is_saved(client, org, manager):
    data = settings_post()
    data[field_name(Kind.REVIEW_DUE)] = "loudly"
    del data[field_name(Kind.STEP_DUE)]

    response = signed_in(client, manager).post(SETTINGS, data)

    assert response.status_code == 200
    html = response.content.decode()
    review_error = f'id="id_{field_name(Kind.REVIEW_DUE)}_error"'
    assert review_error in html and "Choose in the daily digest, e-mail at once, or off." in html
    assert f'id="id_{field_name(Kind.STEP_DUE)}_error"' in html
    assert "Choose how “Step due” reaches you." in html
    assert 'aria-invalid="true"' in html
    assert not NotificationPreference.objects.filter(user=manager).exists()


def test_the_header_counts_unread_up_to_99_then_says_99_plus(client, org, manager):
    """Senior people at a large group can have thousands unread; the count stops at 100 so every page stays quick."""
    Notification.objects.bulk_create(
        Notification(recipient=manager, organisation=org, kind=Kind.REVIEW_DUE, key=f"bulk:{n}", title=f"Due {n}")
        for n in range(99)
    )
    html = signed_in(client, manager).get(LIST).content.decode()
    assert 'aria-label="Notifications, 99 unread"' in html

    notice(manager, org, "The hundredth")
    notice(manager, org, "The hundred and first")
    response = client.get(LIST)
    html = response.content.decode()
    assert 'aria-label="Notifications, 99+ unread"' in html
    assert ">99+</span>" in html
    assert "Unread (99+)" in html
    assert response.context["page"].paginator.count == 101  # the list itself still has them all
