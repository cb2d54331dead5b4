from django.urls import path
from writes import views

urlpatterns = [
    path("hello", views.Hello.as_view()),
    path("payments", views.PaymentCreate.as_view()),
    path("webhook", views.Webhook.as_view()),
]
