from django.urls import path

from campaigns import apis

# Exact routes, no trailing slash (APPEND_SLASH is off).
urlpatterns = [
    path("campaigns", apis.CampaignListCreateApi.as_view()),
    path("campaigns/<int:campaign_id>", apis.CampaignDetailApi.as_view()),
    path("campaigns/<int:campaign_id>/donations", apis.DonationListApi.as_view()),
]
