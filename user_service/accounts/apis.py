from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from rest_framework import exceptions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.models import User
from accounts.throttle import sign_in_wait
from careforall_common.auth import IsStaff, PlatformJWTAuthentication
from careforall_common.fields import StrictCharField, StrictEmailField, StrictSerializer
from careforall_common.internal import IsSignedInternalCall
from careforall_common.keys import jwk
from careforall_common.problems import Problem


class UserOutput(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "name", "role", "created_at"]


class RegisterApi(APIView):
    authentication_classes: list[Any] = []

    class InputSerializer(StrictSerializer):
        email = StrictEmailField()
        password = StrictCharField(max_length=128)
        name = StrictCharField(min_length=1, max_length=150)

    def post(self, request: Request) -> Response:
        data = self.InputSerializer.parse(request.data)
        user = services.user_register(**data)
        return Response(UserOutput(user).data, status=201)


class TokenObtainApi(APIView):
    authentication_classes: list[Any] = []

    class InputSerializer(StrictSerializer):
        email = StrictCharField(max_length=254)
        password = StrictCharField(max_length=128)

    def post(self, request: Request) -> Response:
        data = self.InputSerializer.parse(request.data)
        wait = sign_in_wait(email=data["email"])
        if wait:
            # SPEC §2: repeated failures for one account slow down, whatever the address.
            raise exceptions.Throttled(
                wait=wait, detail="Too many failed sign-ins for this account; try again later."
            )
        user = authenticate(request, email=data["email"], password=data["password"])
        if not isinstance(user, User):
            # One answer for an unknown email and a wrong password (SPEC §3).
            raise Problem(401, "The email or password is wrong.")
        access, refresh = services.tokens_for(user)
        return Response({"access": access, "refresh": refresh, "user": UserOutput(user).data})


class TokenRefreshApi(APIView):
    authentication_classes: list[Any] = []

    class InputSerializer(StrictSerializer):
        refresh = StrictCharField(max_length=4096)

    def post(self, request: Request) -> Response:
        data = self.InputSerializer.parse(request.data)
        access, refresh = services.refresh_rotate(token=data["refresh"])
        return Response({"access": access, "refresh": refresh})


class LogoutApi(APIView):
    """Sign out: the refresh token can no longer be used (SPEC §3)."""

    authentication_classes: list[Any] = []

    class InputSerializer(StrictSerializer):
        refresh = StrictCharField(max_length=4096)

    def post(self, request: Request) -> Response:
        data = self.InputSerializer.parse(request.data)
        services.refresh_revoke(token=data["refresh"])
        return Response(status=204)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        user = selectors.user_active_get(user_id=request.user.pk)
        if user is None:
            raise Problem(401, "The account no longer exists or is disabled.")
        return Response(UserOutput(user).data)


class JwksApi(APIView):
    authentication_classes: list[Any] = []

    def get(self, request: Request) -> Response:
        key = jwk(str(settings.SIMPLE_JWT["VERIFYING_KEY"]))
        return Response({"keys": [key]}, headers={"Cache-Control": "public, max-age=300"})


class FlowerAccessApi(APIView):
    """The gateway's ``auth_request`` for /flower/: staff signed in to the admin, or a staff JWT."""

    authentication_classes = [PlatformJWTAuthentication, SessionAuthentication]
    permission_classes = [IsStaff]

    def get(self, request: Request) -> Response:
        return Response(status=204)


class InternalStaffStatusApi(APIView):
    """For the other admins' recheck (SPEC §3): is ``?email=`` an active staff account? Signed."""

    authentication_classes: list[Any] = []
    permission_classes = [IsSignedInternalCall]
    allowed_senders = ("campaign", "pledge", "payment")  # issue 20, finding 8

    def get(self, request: Request) -> Response:
        email = request.query_params.get("email", "").lower()
        return Response({"email": email, "staff": selectors.staff_is_active(email=email)})
