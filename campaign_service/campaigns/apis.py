from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import cache, selectors, services
from campaigns.events import campaign_facts
from campaigns.models import MAX_DESCRIPTION_LENGTH
from campaigns.outputs import campaign_output, donation_output
from careforall_common.auth import IsStaff
from careforall_common.contracts.money import MAX_AMOUNT
from careforall_common.contracts.statuses import CampaignStatus
from careforall_common.fields import (
    CurrencyField,
    StrictCharField,
    StrictChoiceField,
    StrictIntegerField,
    StrictSerializer,
)
from careforall_common.internal import IsSignedInternalCall
from careforall_common.pagination import CursorPagination, paginated
from careforall_common.problems import Problem


def _is_staff(request: Request) -> bool:
    return bool(getattr(request.user, "is_staff", False))


def _guest(request: Request) -> bool:
    """A request the gateway could have answered from its cache: no credentials at all."""
    return "HTTP_AUTHORIZATION" not in request.META


def _rendered(response: Response) -> bytes:
    """Render ``response`` now, as the API sends it, and return the body."""
    response.accepted_renderer = JSONRenderer()
    response.accepted_media_type = "application/json"
    response.renderer_context = {}  # type: ignore[attr-defined]
    response.render()
    return bytes(response.content)


class IsStaffOrReadOnly(BasePermission):
    """Reads are public; writes are for staff (401 when not signed in, 403 otherwise)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS or IsStaff().has_permission(request, view)


class CampaignListCreateApi(APIView):
    permission_classes = [IsStaffOrReadOnly]

    class FilterSerializer(serializers.Serializer):
        status = StrictChoiceField(choices=CampaignStatus.choices, required=False)

    class InputSerializer(StrictSerializer):
        title = StrictCharField(max_length=200)
        description = StrictCharField(allow_blank=True, max_length=MAX_DESCRIPTION_LENGTH)
        goal_amount = StrictIntegerField(min_value=1, max_value=MAX_AMOUNT)
        currency = CurrencyField(required=False)
        status = StrictChoiceField(
            choices=[CampaignStatus.DRAFT, CampaignStatus.ACTIVE], required=False
        )

    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        campaigns = selectors.campaign_list(
            include_drafts=_is_staff(request), status=filters.validated_data.get("status")
        )
        response = paginated(request, self, campaigns, lambda page: map(campaign_output, page))
        key = _guest(request) and cache.list_key(
            host=request.get_host(), query=request.META.get("QUERY_STRING", "")
        )
        if key:
            cache.list_fill(key, _rendered(response))
        return response

    def post(self, request: Request) -> Response:
        data = self.InputSerializer.parse(request.data)
        campaign = services.campaign_create(**data)
        return Response(campaign_output(campaign), status=201)


class CampaignDetailApi(APIView):
    permission_classes = [IsStaffOrReadOnly]

    class InputSerializer(StrictSerializer):
        title = StrictCharField(max_length=200, required=False)
        description = StrictCharField(
            allow_blank=True, max_length=MAX_DESCRIPTION_LENGTH, required=False
        )
        goal_amount = StrictIntegerField(min_value=1, max_value=MAX_AMOUNT, required=False)
        currency = CurrencyField(required=False)
        status = StrictChoiceField(choices=CampaignStatus.choices, required=False)

    def get(self, request: Request, campaign_id: int) -> Response:
        guest = _guest(request)
        # Read before the row: a write committed meanwhile makes the fill stand down.
        generation = cache.campaign_generation(campaign_id) if guest else None
        campaign = selectors.campaign_get(
            campaign_id=campaign_id, include_drafts=_is_staff(request)
        )
        if campaign is None:
            raise Problem(404, "No campaign with this id.")
        response = Response(campaign_output(campaign))
        if guest:
            cache.campaign_fill(campaign, _rendered(response), generation=generation)
        return response

    def patch(self, request: Request, campaign_id: int) -> Response:
        data = self.InputSerializer.parse(request.data)
        campaign = services.campaign_update(campaign_id=campaign_id, **data)
        return Response(campaign_output(campaign))

    def delete(self, request: Request, campaign_id: int) -> Response:
        services.campaign_delete(campaign_id=campaign_id)
        return Response(status=204)


class DonationPagination(CursorPagination):
    # Newest first by when the pledge was made (SPEC §3): under concurrent pledges ids and times
    # disagree. The id breaks ties; the pledge_projection_wall_time index serves it.
    ordering = ("-occurred_at", "-pledge_id")  # type: ignore[assignment]  # DRF takes a tuple


class DonationListApi(APIView):
    """A campaign's pledges with their current status, newest first (SPEC §3). Public."""

    def get(self, request: Request, campaign_id: int) -> Response:
        include_drafts = _is_staff(request)
        donations = selectors.donation_list(campaign_id=campaign_id, include_drafts=include_drafts)
        paginator = DonationPagination()
        page = paginator.paginate_queryset(donations, request, view=self) or []
        if not page and not selectors.campaign_get(
            campaign_id=campaign_id, include_drafts=include_drafts
        ):
            raise Problem(404, "No campaign with this id.")
        return paginator.get_paginated_response([donation_output(d) for d in page])


class CampaignFactsInternalApi(APIView):
    """What pledge_service checks a pledge against, on a miss of its copy (SPEC §4). Signed."""

    authentication_classes: list[Any] = []
    permission_classes = [IsSignedInternalCall]
    allowed_senders = ("pledge",)  # issue 20, finding 8

    def get(self, request: Request, campaign_id: int) -> Response:
        campaign = selectors.campaign_get(campaign_id=campaign_id, include_drafts=True)
        if campaign is None:
            raise Problem(404, "No campaign with this id.")
        return Response(campaign_facts(campaign).to_payload())
