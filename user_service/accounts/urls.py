from django.urls import path

from accounts import apis

urlpatterns = [
    path("register", apis.RegisterApi.as_view()),
    path("token", apis.TokenObtainApi.as_view()),
    path("token/refresh", apis.TokenRefreshApi.as_view()),
    path("logout", apis.LogoutApi.as_view()),
    path("me", apis.MeApi.as_view()),
    path("jwks.json", apis.JwksApi.as_view()),
]
