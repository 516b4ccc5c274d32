from django.contrib.auth import views as auth_views
from django.contrib.messages.views import SuccessMessageMixin
from django.urls import reverse_lazy


class PasswordChange(SuccessMessageMixin, auth_views.PasswordChangeView):
    success_url = reverse_lazy("home")
    success_message = "Your password has been changed."


class PasswordReset(auth_views.PasswordResetView):
    email_template_name = "emails/password_reset.txt"
    subject_template_name = "emails/password_reset_subject.txt"
    extra_email_context = {"site_name": "QIP governance"}


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    pass


class InvitationAccept(auth_views.PasswordResetConfirmView):
    """Sets the first password from an invitation link, then signs the person in."""

    template_name = "registration/invitation_accept.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("home")
