from django.urls import path

from governance.views import plan_closure, plans

urlpatterns = [
    path("", plans.plan_list, name="plan_list"),
    path("new/", plans.plan_create, name="plan_create"),
    path("<int:pk>/", plans.plan_detail, name="plan_detail"),
    path("<int:pk>/edit/", plans.plan_edit, name="plan_edit"),
    path("<int:pk>/request-closure/", plan_closure.plan_request_closure, name="plan_request_closure"),
]
