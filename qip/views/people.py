from django.http import Http404


def people_list(request, pk=None):
    raise Http404


def person_invite(request, pk=None):
    raise Http404


def person_edit(request, pk=None):
    raise Http404


def person_deactivate(request, pk=None):
    raise Http404


def person_reactivate(request, pk=None):
    raise Http404


def person_resend_invitation(request, pk=None):
    raise Http404
