from django.urls import path

from defence import apis

urlpatterns = [
    path("api/payments/challenge", apis.ChallengeApi.as_view()),
]
