from django.urls import path

from governance.views import oversight

urlpatterns = [
    path("", oversight.oversight, name="oversight"),
]
