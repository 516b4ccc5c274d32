from django.urls import path

from governance.views import dashboard

urlpatterns = [
    # The home page: qip.urls mounts this module at "" and no longer has a "home" of its own.
    path("", dashboard.dashboard, name="home"),
]
