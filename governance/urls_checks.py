from django.urls import path

from governance.views import checks

urlpatterns = [
    path("", checks.check_list, name="check_list"),
    path("<int:pk>/record/", checks.check_record, name="check_record"),
    path("actions/<int:pk>/reopen/", checks.action_reopen, name="action_reopen"),
]
