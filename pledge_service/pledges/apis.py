from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careforall_common.auth import PlatformUser, platform_user, reader_of
from careforall_common.contracts.internal import DonorEmailsRead
from careforall_common.contracts.money import MAX_AMOUNT, MIN_AMOUNT
from careforall_common.contracts.statuses import CAMPAIGN_FACT_STATUSES
from careforall_common.fields import (
    CurrencyField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictEmailField,
    StrictIntegerField,
    StrictSerializer,
)
from careforall_common.idempotency import HEADER, idempotency_key_parse
from careforall_common.internal import IsSignedInternalCall
from careforall_common.lean import (
    LeanPostMixin,
    NotPlain,
    json_response,
    plain_caller,
    plain_json_body,
)
from careforall_common.pagination import paginated
from careforall_common.problems import Problem
from pledges import donors, holds, selectors, services
from pledges.events import pledge_created_payload
from pledges.inputs import MAX_ID, pledge_input
from pledges.outputs import pledge_internal_output, pledge_output
from pledges.receipts import receipt_token

# MAX_ID: ids are BIGINT, a larger one is no id at all (400, not a database error).
INTERNAL_LIST_MAX = 1000


def _donor(caller: PlatformUser | None, data: dict[str, Any]) -> services.Donor:
    if caller is None:
        return services.Donor(user_id=None, name=data["donor_name"], email=data["donor_email"])
    return services.Donor(user_id=caller.id, name=caller.name, email=caller.email)


Created = tuple[dict[str, Any], int, dict[str, str] | None]


def _pledge_create(caller: PlatformUser | None, key: str, data: dict[str, Any]) -> Created:
    """Make the pledge of ``key`` once; the 201's body, status and headers, first or replayed,
    with the guest's receipt token recomputed."""
    donor = _donor(caller, data)
    outcome = services.pledge_create_once(
        idempotency=services.pledge_idempotency(
            key=key, user_id=donor.user_id, email=donor.email, body=data
        ),
        donor=donor,
        campaign_id=data["campaign_id"],
        amount=data["amount"],
        currency=data.get("currency"),
        anonymous=data.get("anonymous", False),
    )
    body = dict(outcome.body)
    pledge = outcome.record.pledge
    if pledge.receipt_nonce:
        body["receipt_token"] = receipt_token(nonce=pledge.receipt_nonce)
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return body, outcome.status, headers


# A plain create is answered by ``lean_post`` (careforall_common.lean), every other request by
# DRF: the same answers, without DRF's per-request cost on the hot path. (Not in the docstring:
# that is the operation's description in the OpenAPI document.)
class PledgeListCreateApi(LeanPostMixin, APIView):
    """Anyone may pledge (guests too); a donation history needs an account."""

    class FilterSerializer(serializers.Serializer):
        campaign_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)

    class InputSerializer(StrictSerializer):
        campaign_id = StrictIntegerField(min_value=1, max_value=MAX_ID)
        amount = StrictIntegerField(min_value=MIN_AMOUNT, max_value=MAX_AMOUNT)
        currency = CurrencyField(required=False)
        anonymous = StrictBooleanField(required=False)
        donor_name = StrictCharField(min_length=1, max_length=150, required=False)
        donor_email = StrictEmailField(required=False)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            # SPEC §3: an account's name and email come from its token; a guest gives both.
            signed_in = self.context["signed_in"]
            errors = donors.donor_fields_errors(attrs, signed_in=signed_in)
            if errors:
                raise serializers.ValidationError(errors)
            return attrs

    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        caller = platform_user(request)
        if caller is None:
            raise exceptions.NotAuthenticated()
        pledges = selectors.pledge_list(
            user_id=None if caller.is_staff else caller.id,
            campaign_id=filters.validated_data.get("campaign_id"),
        )
        return paginated(request, self, pledges, lambda page: map(pledge_output, page))

    def post(self, request: Request) -> Response:
        key = idempotency_key_parse(request.headers.get(HEADER))
        caller = platform_user(request)
        data = self.InputSerializer.parse(request.data, context={"signed_in": caller is not None})
        body, status, headers = _pledge_create(caller, key, data)
        return Response(body, status=status, headers=headers)

    def lean_post(self, request: HttpRequest, *, allow: str) -> HttpResponse:
        """``post`` of a plain request; ``NotPlain`` (before any write) hands it to DRF."""
        caller = plain_caller(request)
        key = idempotency_key_parse(request.META.get("HTTP_IDEMPOTENCY_KEY"))
        data = pledge_input(plain_json_body(request), signed_in=caller is not None)
        if data is None:
            raise NotPlain
        body, status, headers = _pledge_create(caller, key, data)
        return json_response(body, status=status, allow=allow, headers=headers)


class PledgeDetailApi(APIView):
    def get(self, request: Request, pledge_id: int) -> Response:
        reader = reader_of(request, via="receipt_token")
        pledge = selectors.pledge_get_for_reader(
            pledge_id=pledge_id,
            user_id=reader.user_id,
            is_staff=reader.is_staff,
            receipt_token=reader.token,
        )
        if pledge is None:
            raise Problem(404, "No pledge with this id.")
        return Response(pledge_output(pledge))


class InternalPledgeDetailApi(APIView):
    """For payment_service: a pledge's amount, owner, status and receipt token hash."""

    authentication_classes: list[Any] = []
    permission_classes = [IsSignedInternalCall]
    allowed_senders = ("payment",)  # issue 20, finding 8

    def get(self, request: Request, pledge_id: int) -> Response:
        pledge = selectors.pledge_get(pledge_id=pledge_id)
        if pledge is None:
            raise Problem(404, "No pledge with this id.")
        if holds.campaign_gone(campaign_id=pledge.campaign_id):
            # SPEC §3: a payment for a campaign that is gone is refused (a pledge made before
            # deletions were decided here, when the read model had not yet seen it).
            raise Problem(404, "The pledge's campaign is gone.")
        return Response(pledge_internal_output(pledge))


class InternalPledgeListApi(APIView):
    """For campaign_service's reconciliation: every pledge, in id order, ``after`` an id."""

    authentication_classes: list[Any] = []
    permission_classes = [IsSignedInternalCall]
    allowed_senders = ("campaign",)  # issue 20, finding 8

    class FilterSerializer(serializers.Serializer):
        campaign_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
        after = serializers.IntegerField(min_value=0, max_value=MAX_ID, default=0)
        limit = serializers.IntegerField(min_value=1, default=500)

    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        limit = min(filters.validated_data["limit"], INTERNAL_LIST_MAX)
        pledges = selectors.pledge_list_after(
            after=filters.validated_data["after"],
            limit=limit + 1,  # one more tells whether another page follows
            campaign_id=filters.validated_data.get("campaign_id"),
        )
        page = pledges[:limit]
        return Response(
            {
                "results": [
                    {**pledge_created_payload(pledge), "refunded_amount": pledge.refunded_amount}
                    for pledge in page
                ],
                "next_after": page[-1].pk if len(pledges) > limit else None,
            }
        )


class InternalCampaignHoldApi(APIView):
    """For campaign_service: hold a campaign before deleting it or changing its currency.

    409 when the campaign has pledges (the hold is lifted again). Signed; the body names the
    campaign, so that a signature cannot be replayed on another campaign's path.
    """

    authentication_classes: list[Any] = []
    permission_classes = [IsSignedInternalCall]
    allowed_senders = ("campaign",)  # issue 20, finding 8

    class InputSerializer(StrictSerializer):
        campaign_id = StrictIntegerField(min_value=1, max_value=MAX_ID)

    def post(self, request: Request, campaign_id: int) -> Response:
        data = self.InputSerializer.parse(request.data)
        if data["campaign_id"] != campaign_id:
            raise Problem(400, "The body names another campaign.")
        if holds.campaign_hold(campaign_id=campaign_id):
            raise Problem(409, "The campaign has pledges.", campaign_id=campaign_id)
        return Response({"campaign_id": campaign_id, "held": True})


class InternalCampaignReleaseApi(APIView):
    """For campaign_service: end a hold with the campaign's facts now (``deleted`` holds on)."""

    authentication_classes: list[Any] = []
    permission_classes = [IsSignedInternalCall]
    allowed_senders = ("campaign",)  # issue 20, finding 8

    class InputSerializer(StrictSerializer):
        campaign_id = StrictIntegerField(min_value=1, max_value=MAX_ID)
        status = StrictChoiceField(choices=sorted(CAMPAIGN_FACT_STATUSES))
        currency = CurrencyField()

    def post(self, request: Request, campaign_id: int) -> Response:
        data = self.InputSerializer.parse(request.data)
        if data["campaign_id"] != campaign_id:
            raise Problem(400, "The body names another campaign.")
        holds.campaign_release(
            campaign_id=campaign_id, status=data["status"], currency=data["currency"]
        )
        return Response(status=204)


class InternalPledgeCampaignsApi(APIView):
    """For campaign_service's reconciliation: every campaign id that has pledges (SPEC §5.2)."""

    authentication_classes: list[Any] = []
    permission_classes = [IsSignedInternalCall]
    allowed_senders = ("campaign",)  # issue 20, finding 8

    def get(self, request: Request) -> Response:
        return Response({"campaign_ids": selectors.pledge_campaign_ids()})


class InternalPledgeDonorsApi(APIView):
    """For campaign_service's admin export: the donor email of each pledge asked for.

    Emails are never public (SPEC §3); this read is signed, the gateway never routes it, and
    only staff's CSV export asks it, a chunk of ids at a time. POST, because a chunk of ids in
    the query would outgrow gunicorn's 4 KiB request line.
    """

    authentication_classes: list[Any] = []
    permission_classes = [IsSignedInternalCall]
    allowed_senders = ("campaign",)  # issue 20, finding 8

    class InputSerializer(StrictSerializer):
        pledge_ids = serializers.ListField(
            child=StrictIntegerField(min_value=1, max_value=MAX_ID),
            max_length=INTERNAL_LIST_MAX,
        )

    def post(self, request: Request) -> Response:
        data = self.InputSerializer.parse(request.data)
        emails = selectors.pledge_donor_emails(pledge_ids=data["pledge_ids"])
        return Response(DonorEmailsRead(emails=emails).to_dict())
