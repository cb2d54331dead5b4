from __future__ import annotations

from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careforall_common.admin_auth import platform_staff_status
from careforall_common.auth import PlatformUser, platform_user
from careforall_common.defence.challenge import MODES
from careforall_common.fields import StrictChoiceField, StrictSerializer
from careforall_common.problems import Problem
from defence import services
from defence.outputs import challenge_output


class ChallengeApi(APIView):
    """Staff switch challenge mode (SPEC §3): ``PUT {mode}`` (off, on or auto) → the
    ``challenge`` block of ``GET /api/payments/config``.

    The token's staff role is checked again with user_service (as a refund's is): no longer
    staff → 403; user_service silent → 503.
    """

    class InputSerializer(StrictSerializer):
        mode = StrictChoiceField(choices=MODES)

    def put(self, request: Request) -> Response:
        caller = platform_user(request)
        if caller is None:
            raise exceptions.NotAuthenticated()
        staff_confirm(caller)
        data = self.InputSerializer.parse(request.data)
        services.challenge_switch(mode=data["mode"], staff_user_id=caller.id)
        return Response(challenge_output())


def staff_confirm(caller: PlatformUser) -> None:
    """403 unless the caller is staff by its token and, asked now, by user_service; 503 when it
    cannot answer (the switch fails closed)."""
    if not caller.is_staff:
        raise exceptions.PermissionDenied("Only staff switch challenge mode.")
    staff = platform_staff_status(email=caller.email)
    if staff is None:
        raise Problem(503, "Your staff status cannot be checked right now; try again shortly.")
    if not staff:
        raise exceptions.PermissionDenied("This account is no longer active staff.")
