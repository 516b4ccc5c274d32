from django.urls import path

from governance.views import signoff

urlpatterns = [
    path("", signoff.signoff_inbox, name="signoff_inbox"),
    path("<int:pk>/", signoff.signoff_decide, name="signoff_decide"),
]
