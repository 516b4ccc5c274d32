"""Notifications in the app: the list, marking read, opening one, and how optional kinds reach the person.

Every member has these pages, whatever their role: each shows only the person's own notifications in the
current organisation (governance.selectors_notifications), so another person's is a 404. Plain forms and
redirects: everything works without JavaScript.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance import selectors_notifications as selectors
from governance import services_notifications as services
from governance.forms_notifications import NotificationSettingsForm
from governance.models_notifications import ALWAYS_IMMEDIATE, Kind
from qip.decorators import member_required

PER_PAGE = 25
ALWAYS_IMMEDIATE_WHY = {
    Kind.SIGNOFF_REQUESTED: "someone is waiting for your decision",
    Kind.CLOSURE_DECIDED: "it says whether work you asked to close, or own, is closed",
    Kind.ACTION_REOPENED: "something signed off has been reopened",
    Kind.AUDIT_CHAIN_BROKEN: "the audit log may have been tampered with",
}


def _safe(request, url, fallback):
    """`url` when it is a path on this site (a notification's link, or the page to return to), else `fallback`."""
    if url and url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return fallback


def _back(request):
    # A URL, never a view name: redirect("1") would look for a view called "1" (a server error).
    return HttpResponseRedirect(_safe(request, request.POST.get("next"), reverse("notification_list")))


@member_required
@require_GET
def notification_list(request):
    show = request.GET.get("show")
    show = show if show in dict(selectors.SHOW_CHOICES) else selectors.ALL
    rows = selectors.notifications(user=request.user, organisation=request.organisation, show=show)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "show": show, "show_choices": selectors.SHOW_CHOICES}
    return render(request, "governance/notification_list.html", context)


@member_required
@require_POST
def notification_read(request, pk):
    notification = selectors.notification_for_user(user=request.user, organisation=request.organisation, pk=pk)
    services.mark_read(user=request.user, notification=notification)
    return _back(request)


@member_required
@require_POST
def notification_open(request, pk):
    """Opening a notification marks it read, then goes where it points."""
    notification = selectors.notification_for_user(user=request.user, organisation=request.organisation, pk=pk)
    services.mark_read(user=request.user, notification=notification)
    return HttpResponseRedirect(_safe(request, notification.url, reverse("notification_list")))


@member_required
@require_POST
def notification_read_all(request):
    marked = services.mark_all_read(user=request.user, organisation=request.organisation)
    messages.success(request, f"Marked {marked} notification{'s' if marked != 1 else ''} as read.")
    return _back(request)


@member_required
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    channels = selectors.channels(user=request.user)
    posted = request.POST if request.method == "POST" else None
    form = NotificationSettingsForm(posted, channels=channels)
    if request.method == "POST" and form.is_valid():
        services.save_channels(user=request.user, channels=form.channels())
        messages.success(request, "Notification settings saved. They apply in every organisation you belong to.")
        return redirect("notification_settings")
    always = [(kind.label, ALWAYS_IMMEDIATE_WHY[kind]) for kind in Kind if kind in ALWAYS_IMMEDIATE]
    return render(request, "governance/notification_settings.html", {"form": form, "always": always})
