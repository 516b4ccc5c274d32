from django.urls import path

from governance.views import action_list, actions, exports

urlpatterns = [
    path("", action_list.action_list, name="action_list"),
    path("export/<str:fmt>/", exports.action_export, name="action_export"),
    path("new/<int:plan_pk>/", actions.action_create, name="action_create"),
    path("<int:pk>/", actions.action_detail, name="action_detail"),
    path("<int:pk>/edit/", actions.action_edit, name="action_edit"),
    path("<int:pk>/criteria/", actions.criteria_edit, name="criteria_edit"),
    path("<int:pk>/steps/add/", actions.step_add, name="step_add"),
    path("steps/<int:pk>/done/", actions.step_done, name="step_done"),
    path("steps/<int:pk>/undo/", actions.step_undo, name="step_undo"),
    path("wording-check/", actions.wording_check, name="wording_check"),
    path("<int:pk>/assurance/", actions.action_start_assurance, name="action_start_assurance"),
    path("<int:pk>/request-closure/", actions.action_request_closure, name="action_request_closure"),
    path("<int:action_pk>/concerns/new/", actions.concern_add, name="concern_add"),
]
