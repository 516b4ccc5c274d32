from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render


def member_required(view):
    """Signed in and with a current organisation; otherwise the 'no organisation' page."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.organisation is None:
            return render(request, "qip/no_organisation.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def permission_required(check):
    """Member of the current organisation and `check(user, organisation)` true, else 403."""

    def decorator(view):
        @member_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not check(request.user, request.organisation):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
