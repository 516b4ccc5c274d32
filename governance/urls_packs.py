from django.urls import path

from governance.views import packs

urlpatterns = [
    path("", packs.pack_list, name="pack_list"),
    path("<int:pk>/", packs.pack_detail, name="pack_detail"),
    path("<int:pk>/retry/", packs.pack_retry, name="pack_retry"),
    path("<int:pk>/download/", packs.pack_download, name="pack_download"),
]
