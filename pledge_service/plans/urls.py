from django.urls import path

from plans import apis

# Exact routes, no trailing slash (APPEND_SLASH is off); the gateway routes /api/recurring here.
urlpatterns = [
    path("api/recurring", apis.PlanListCreateApi.as_view()),
    path("api/recurring/<int:plan_id>", apis.PlanDetailApi.as_view()),
    path("api/recurring/<int:plan_id>/pause", apis.PlanPauseApi.as_view()),
    path("api/recurring/<int:plan_id>/resume", apis.PlanResumeApi.as_view()),
    path("api/recurring/<int:plan_id>/cancel", apis.PlanCancelApi.as_view()),
    path("api/recurring/<int:plan_id>/payment-method", apis.PlanPaymentMethodApi.as_view()),
]
