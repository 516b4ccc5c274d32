from django.urls import path

from governance.views import exports, plan_closure, plans

urlpatterns = [
    path("", plans.plan_list, name="plan_list"),
    path("new/", plans.plan_create, name="plan_create"),
    path("export/<str:fmt>/", exports.plan_export, name="plan_export"),
    path("<int:pk>/", plans.plan_detail, name="plan_detail"),
    path("<int:pk>/edit/", plans.plan_edit, name="plan_edit"),
    path("<int:pk>/request-closure/", plan_closure.plan_request_closure, name="plan_request_closure"),
]
