from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from qip import permissions, selectors, services, two_factor
from qip.decorators import permission_required
from qip.forms_admin import DeactivateForm, InviteForm, MembershipForm, add_service_errors
from qip.models import Membership

manage_people = permission_required(permissions.can_manage_people)


def _membership(request, pk):
    return get_object_or_404(
        Membership.objects.for_user(request.user, request.organisation).select_related("user"), pk=pk
    )


@manage_people
@require_GET
def people_list(request):
    status = request.GET.get("status", "")
    if status not in dict(selectors.STATUSES):
        status = ""
    counts = selectors.people_counts(user=request.user, organisation=request.organisation)
    context = {
        "people": selectors.people_for_admin(user=request.user, organisation=request.organisation, status=status),
        "everyone": counts["all"],
        "statuses": [(value, label, counts[value]) for value, label in selectors.STATUSES],
        "status": status,
    }
    return render(request, "organisation/people_list.html", context)


@manage_people
def person_invite(request):
    choices = selectors.location_choices(user=request.user, organisation=request.organisation)
    form = InviteForm(request.POST or None, organisation=request.organisation, location_choices=choices)
    if request.method == "POST" and form.is_valid():
        try:
            membership, link = services.invite_person(
                actor=request.user,
                organisation=request.organisation,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                role=form.cleaned_data["role"],
                locations=list(form.cleaned_data["locations"]),
                is_org_admin=form.cleaned_data["is_org_admin"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except IntegrityError:  # the same person added at the same moment, in another tab or by a colleague
            form.add_error("email", "This person was given access a moment ago. Check the list of people.")
        else:
            name, email = membership.user.get_full_name(), membership.user.email
            if link:
                messages.success(
                    request,
                    f"Invitation sent to {name} at {email}, with a link to set a password (it works for "
                    "three days). They appear as “invited” until they set it.",
                )
            else:
                messages.success(
                    request,
                    f"{name} already has an account, so they now have access to "
                    f"{request.organisation.name} and have been told by e-mail.",
                )
            return redirect("people_list")
    return render(request, "organisation/person_invite.html", {"form": form})


@manage_people
def person_edit(request, pk):
    membership = _membership(request, pk)
    chosen = membership.location_ids
    choices = selectors.location_choices(user=request.user, organisation=request.organisation, include=chosen)
    initial = {"role": membership.role, "locations": chosen, "is_org_admin": membership.is_org_admin}
    form = MembershipForm(
        request.POST or None, location_choices=choices, organisation=request.organisation, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_membership(
                actor=request.user,
                membership=membership,
                role=form.cleaned_data["role"],
                locations=list(form.cleaned_data["locations"]),
                is_org_admin=form.cleaned_data["is_org_admin"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Changes to {membership.user.get_full_name()} saved.")
            if membership.user_id == request.user.pk and not form.cleaned_data["is_org_admin"]:
                return redirect("home")  # they no longer manage people
            return redirect("people_list")
    context = {
        "membership": membership,
        "status": selectors.membership_status(membership),
        "person": membership.user,
        "form": form,
        "deactivate_form": DeactivateForm(),
        "two_factor_enrolled": two_factor.is_enrolled(membership.user),
        "two_factor_must": membership.role in two_factor.ROLES_THAT_MUST or membership.is_org_admin,
        "is_self": membership.user_id == request.user.pk,
        "history": selectors.membership_history(
            user=request.user, organisation=request.organisation, membership=membership
        ),
    }
    return render(request, "organisation/person_edit.html", context)


@manage_people
def person_deactivate(request, pk):
    membership = _membership(request, pk)
    if request.method != "POST":
        return redirect("person_edit", pk=membership.pk)  # the button is there; a GET changes nothing
    form = DeactivateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Keep the reason under 500 characters. Nothing was changed.")
        return redirect("person_edit", pk=membership.pk)
    try:
        services.deactivate_membership(actor=request.user, membership=membership, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages) + " Nothing was changed.")
        return redirect("person_edit", pk=membership.pk)
    messages.success(
        request,
        f"{membership.user.get_full_name()} deactivated. They have been signed out and can no longer use "
        f"{request.organisation.name}.",
    )
    return redirect("people_list")


@manage_people
def person_reactivate(request, pk):
    membership = _membership(request, pk)
    if request.method != "POST":
        return redirect("person_edit", pk=membership.pk)  # the button is there; a GET changes nothing
    services.reactivate_membership(actor=request.user, membership=membership)
    messages.success(request, f"{membership.user.get_full_name()} reactivated.")
    return redirect("person_edit", pk=membership.pk)


@manage_people
def person_resend_invitation(request, pk):
    membership = _membership(request, pk)
    if request.method != "POST":
        return redirect("person_edit", pk=membership.pk)  # the button is there; a GET changes nothing
    name = membership.user.get_full_name()
    if not membership.is_active:
        messages.error(request, f"{name} is deactivated. Reactivate them before sending the invitation again.")
        return redirect("person_edit", pk=membership.pk)
    try:
        services.resend_invitation(actor=request.user, membership=membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Invitation sent again to {name} at {membership.user.email}.")
    return redirect("person_edit", pk=membership.pk)
