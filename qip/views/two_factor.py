"""Two-factor sign-in pages: the code after the password, setting up an authenticator, backup codes,
an admin's reset for someone who lost their phone, and the organisation's "require it for everyone".

qip.middleware.TwoFactorMiddleware sends people here; qip.two_factor does the work.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from qip import permissions, two_factor
from qip.decorators import permission_required
from qip.forms_admin import add_service_errors
from qip.forms_two_factor import CodeForm, OrganisationSecurityForm, PasswordAgainForm, SetupForm
from qip.middleware import is_verified
from qip.models import Membership


def _next(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


@login_required
def two_factor_verify(request):
    user = request.user
    if is_verified(request):
        return redirect(_next(request))
    if not two_factor.is_enrolled(user):
        return redirect("two_factor_setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.verify(request, form.cleaned_data["code"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if two_factor.is_backup(device):
                left = two_factor.backup_codes_left(user)
                messages.warning(request, f"You used a backup code; {left} left. Make new ones in Two-factor sign-in.")
            return redirect(_next(request))
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": _next(request)})


@login_required
def two_factor_setup(request):
    user = request.user
    if two_factor.is_enrolled(user):
        # Replacing an authenticator needs the old one first (or an admin's reset): a stolen password
        # alone must not be enough to add the thief's phone.
        return redirect("two_factor_settings" if is_verified(request) else "two_factor_verify")
    device = two_factor.pending_authenticator(user)
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.confirm(request, device, form.cleaned_data["code"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return render(request, "registration/two_factor_codes.html", {"codes": codes, "next": _next(request)})
    context = {
        "form": form,
        "qr": two_factor.qr_svg(device),
        "secret": two_factor.secret_words(device),
        "must": two_factor.must_use(user),
        "next": _next(request),
    }
    return render(request, "registration/two_factor_setup.html", context)


@login_required
def two_factor_settings(request):
    user = request.user
    enrolled = two_factor.is_enrolled(user)
    form = PasswordAgainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.replace_backup_codes(user=user, password=form.cleaned_data["password"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return render(request, "registration/two_factor_codes.html", {"codes": codes, "next": "/"})
    context = {
        "enrolled": enrolled,
        "must": two_factor.must_use(user),
        "codes_left": two_factor.backup_codes_left(user) if enrolled else 0,
        "form": form,
    }
    return render(request, "registration/two_factor_settings.html", context)


@permission_required(permissions.can_manage_people)
def person_reset_two_factor(request, pk):
    membership = get_object_or_404(
        Membership.objects.for_user(request.user, request.organisation).select_related("user"), pk=pk
    )
    person = membership.user
    if request.method == "POST":
        two_factor.reset(actor=request.user, user=person)
        messages.success(
            request,
            f"Two-factor sign-in reset for {person.get_full_name()}. They have been signed out and will set it up "
            "again at their next sign-in.",
        )
        return redirect("person_edit", pk=membership.pk)
    context = {"membership": membership, "person": person, "enrolled": two_factor.is_enrolled(person)}
    return render(request, "registration/two_factor_reset.html", context)


@permission_required(permissions.can_manage_people)
def organisation_security(request):
    organisation = request.organisation
    form = OrganisationSecurityForm(
        request.POST or None, initial={"require_two_factor": organisation.require_two_factor}
    )
    if request.method == "POST" and form.is_valid():
        two_factor.set_required_for_everyone(
            actor=request.user, organisation=organisation, required=form.cleaned_data["require_two_factor"]
        )
        messages.success(request, "Sign-in security saved.")
        return redirect("organisation_security")
    return render(request, "organisation/security.html", {"form": form})
