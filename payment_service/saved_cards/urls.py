from django.urls import path

from saved_cards import apis

# Signed calls of pledge_service; the gateway never routes /internal/.
urlpatterns = [
    path("internal/plans/first-payment", apis.FirstPaymentInternalApi.as_view()),
    path("internal/plans/<int:plan_id>/card", apis.PlanCardInternalApi.as_view()),
    path(
        "internal/plans/<int:plan_id>/authenticated-payment",
        apis.AuthenticatedPaymentInternalApi.as_view(),
    ),
]
