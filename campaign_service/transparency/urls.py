from django.urls import path

from transparency import apis

# Exact routes, no trailing slash (APPEND_SLASH is off).
LOG = "campaigns/<int:campaign_id>/transparency"
urlpatterns = [
    path("transparency/key", apis.TransparencyKeyApi.as_view()),
    path(f"{LOG}/checkpoint", apis.CheckpointApi.as_view()),
    path(f"{LOG}/entries", apis.EntriesApi.as_view()),
    path(f"{LOG}/proof", apis.InclusionProofApi.as_view()),
    path(f"{LOG}/consistency", apis.ConsistencyProofApi.as_view()),
]
