from django.urls import path

from plans.apis import installments, internal, plans

# Exact routes, no trailing slash (APPEND_SLASH is off); the gateway routes /api/recurring here.
urlpatterns = [
    path("api/recurring", plans.PlanListCreateApi.as_view()),
    path("api/recurring/<int:plan_id>", plans.PlanDetailApi.as_view()),
    path("api/recurring/<int:plan_id>/pause", plans.PlanPauseApi.as_view()),
    path("api/recurring/<int:plan_id>/resume", plans.PlanResumeApi.as_view()),
    path("api/recurring/<int:plan_id>/cancel", plans.PlanCancelApi.as_view()),
    path("api/recurring/<int:plan_id>/payment-method", plans.PlanPaymentMethodApi.as_view()),
    path(
        "api/recurring/<int:plan_id>/installments/<int:pledge_id>/authenticate",
        installments.PlanInstallmentAuthenticateApi.as_view(),
    ),
    path("internal/plans", internal.InternalPlanListApi.as_view()),
]
