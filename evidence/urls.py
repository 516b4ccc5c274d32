from django.urls import path

from evidence.views import evidence

urlpatterns = [
    path("action/<int:action_pk>/add/", evidence.evidence_add, name="evidence_add"),
    path("plan/<int:plan_pk>/add/", evidence.plan_evidence_add, name="plan_evidence_add"),
    path("<int:pk>/", evidence.evidence_detail, name="evidence_detail"),
    path("<int:pk>/withdraw/", evidence.evidence_withdraw, name="evidence_withdraw"),
    path("files/<int:pk>/", evidence.evidence_file_download, name="evidence_file_download"),
]
