from django.urls import path

from governance.views import notifications

urlpatterns = [
    path("", notifications.notification_list, name="notification_list"),
    path("settings/", notifications.notification_settings, name="notification_settings"),
    path("read-all/", notifications.notification_read_all, name="notification_read_all"),
    path("<int:pk>/read/", notifications.notification_read, name="notification_read"),
    path("<int:pk>/open/", notifications.notification_open, name="notification_open"),
]
