from django.urls import path

from careforall_common.inbox.apis import EventIngestApi
from pledges import apis

# Exact routes, no trailing slash (APPEND_SLASH is off). The gateway never routes /internal/.
urlpatterns = [
    path("api/pledges", apis.PledgeListCreateApi.as_view()),
    path("api/pledges/<int:pledge_id>", apis.PledgeDetailApi.as_view()),
    path("internal/events", EventIngestApi.as_view()),
    path("internal/pledges", apis.InternalPledgeListApi.as_view()),
    path("internal/pledges/campaigns", apis.InternalPledgeCampaignsApi.as_view()),
    path("internal/pledges/donors", apis.InternalPledgeDonorsApi.as_view()),
    path("internal/pledges/<int:pledge_id>", apis.InternalPledgeDetailApi.as_view()),
    path("internal/campaigns/<int:campaign_id>/hold", apis.InternalCampaignHoldApi.as_view()),
    path("internal/campaigns/<int:campaign_id>/release", apis.InternalCampaignReleaseApi.as_view()),
]
