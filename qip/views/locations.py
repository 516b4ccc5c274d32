from django.http import Http404


def location_list(request, pk=None):
    raise Http404


def location_add(request, pk=None):
    raise Http404


def location_edit(request, pk=None):
    raise Http404


def location_archive(request, pk=None):
    raise Http404


def location_restore(request, pk=None):
    raise Http404
