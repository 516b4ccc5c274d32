from django.urls import path

from evidence.views import measures

urlpatterns = [
    path("action/<int:action_pk>/", measures.measure_edit, name="measure_edit"),
    path("action/<int:action_pk>/readings/", measures.reading_list, name="reading_list"),
    path("action/<int:action_pk>/readings/add/", measures.reading_add, name="reading_add"),
]
