"""The project's URLs plus one trivial signed-in page, the yardstick the busy pages are compared with."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from qip.urls import urlpatterns as project_urlpatterns


@login_required
def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial, name="bench_trivial"), *project_urlpatterns]
