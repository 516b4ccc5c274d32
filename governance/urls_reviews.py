from django.urls import path

from governance.views import reviews

urlpatterns = [
    path("plan/<int:plan_pk>/new/", reviews.review_add, name="review_add"),
    path("<int:pk>/", reviews.review_detail, name="review_detail"),
    path("agenda/", reviews.governance_agenda, name="governance_agenda"),
]
