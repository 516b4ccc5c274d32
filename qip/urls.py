from django.contrib.auth import views as auth_views
from django.urls import include, path

from qip.forms import EmailAuthenticationForm
from qip.views import accounts, audit_log, home, locations, people, two_factor

urlpatterns = [
    path("health/", home.health, name="health"),
    # Sign-in
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/change/", accounts.PasswordChange.as_view(), name="password_change"),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/password/reset/", accounts.PasswordReset.as_view(), name="password_reset"),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirm.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/invitation/<uidb64>/<token>/", accounts.InvitationAccept.as_view(), name="invite_accept"),
    # Organisation
    path("accounts/two-factor/", two_factor.two_factor_verify, name="two_factor_verify"),
    path("accounts/two-factor/set-up/", two_factor.two_factor_setup, name="two_factor_setup"),
    path("accounts/two-factor/settings/", two_factor.two_factor_settings, name="two_factor_settings"),
    path("organisation/security/", two_factor.organisation_security, name="organisation_security"),
    path(
        "organisation/people/<int:pk>/reset-two-factor/",
        two_factor.person_reset_two_factor,
        name="person_reset_two_factor",
    ),
    path("organisation/switch/", home.switch_organisation, name="switch_organisation"),
    path("organisation/audit/", audit_log.audit_log, name="audit_log"),
    path("organisation/locations/", locations.location_list, name="location_list"),
    path("organisation/locations/add/", locations.location_add, name="location_add"),
    path("organisation/locations/<int:pk>/edit/", locations.location_edit, name="location_edit"),
    path("organisation/locations/<int:pk>/archive/", locations.location_archive, name="location_archive"),
    path("organisation/locations/<int:pk>/restore/", locations.location_restore, name="location_restore"),
    path("organisation/people/", people.people_list, name="people_list"),
    path("organisation/people/invite/", people.person_invite, name="person_invite"),
    path("organisation/people/<int:pk>/", people.person_edit, name="person_edit"),
    path("organisation/people/<int:pk>/deactivate/", people.person_deactivate, name="person_deactivate"),
    path("organisation/people/<int:pk>/reactivate/", people.person_reactivate, name="person_reactivate"),
    path(
        "organisation/people/<int:pk>/resend-invitation/",
        people.person_resend_invitation,
        name="person_resend_invitation",
    ),
    # The workflow screens live with the apps they show (string includes: qip imports no app above it).
    path("", include("governance.urls_dashboard")),
    path("plans/", include("governance.urls_plans")),
    path("actions/", include("governance.urls_actions")),
    path("evidence/", include("evidence.urls")),
    path("measures/", include("evidence.urls_measures")),
    path("signoff/", include("governance.urls_signoff")),
    path("checks/", include("governance.urls_checks")),
    path("reviews/", include("governance.urls_reviews")),
    path("oversight/", include("governance.urls_oversight")),
    path("notifications/", include("governance.urls_notifications")),
    path("packs/", include("governance.urls_packs")),
]

handler403 = "qip.views.home.permission_denied"
handler404 = "qip.views.home.page_not_found"
