"""``GET /internal/plans?campaign_id=&after=``: campaign_service's reconciliation reads every
plan as ``PLAN_CHANGED`` states it (``contracts.internal.PlansPageRead``). Signed; the gateway
never routes ``/internal/``."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careforall_common.contracts.internal import PlansPageRead
from careforall_common.internal import IsSignedInternalCall
from plans import selectors
from plans.apis.access import MAX_ID
from plans.events import plan_changed_event

PAGE_SIZE = 500


class InternalPlanListApi(APIView):
    """Plans in id order with an id above ``after`` (0: from the start), a page at a time;
    ``next_after`` is the next page's ``after``, None on the last."""

    authentication_classes: list[Any] = []
    permission_classes = [IsSignedInternalCall]
    allowed_senders = ("campaign",)  # its reconciliation, and no other service

    class FilterSerializer(serializers.Serializer):
        campaign_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
        after = serializers.IntegerField(min_value=0, max_value=MAX_ID, default=0)

    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        plans = selectors.plans_after(
            after=filters.validated_data["after"],
            limit=PAGE_SIZE + 1,  # one more tells whether another page follows
            campaign_id=filters.validated_data.get("campaign_id"),
        )
        page = plans[:PAGE_SIZE]
        return Response(
            PlansPageRead(
                results=tuple(plan_changed_event(plan) for plan in page),
                next_after=page[-1].pk if len(plans) > PAGE_SIZE else None,
            ).to_dict()
        )
