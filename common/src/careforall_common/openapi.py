"""The OpenAPI 3 description of the public API (drf-spectacular), without touching the views.

Each view states its input as nested ``InputSerializer`` and ``FilterSerializer`` classes
(STYLE §2); ``PlatformAutoSchema`` reads those, names their components after the view, and
describes every error as a problem document (SPEC §2). ``scripts/openapi`` merges the four
services' schemas into ``careforall/openapi.json``, which the gateway serves at ``/api/schema/``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

# SPEC §3: these operations need an Idempotency-Key (1 to 255 printable ASCII).
IDEMPOTENT = {
    ("POST", "/api/pledges"),
    ("POST", "/api/payments"),
    ("POST", "/api/payments/{payment_id}/refunds"),
    ("POST", "/api/recurring"),
}
ERRORS = (400, 401, 403, 404, 409, 413, 422, 429, 503)
PROBLEM = "application/problem+json"


# RFC 9457 problem details (SPEC §2).
PROBLEM_SCHEMA = inline_serializer(
    name="Problem",
    fields={
        "type": serializers.CharField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(),
        "errors": serializers.ListField(child=serializers.DictField(), required=False),
    },
)


class PlatformAutoSchema(AutoSchema):
    def get_request_serializer(self) -> Any:
        if self.method in ("POST", "PUT", "PATCH"):
            return getattr(self.view, "InputSerializer", None)
        return None

    def get_response_serializers(self) -> Any:
        success = {"POST": 201, "DELETE": 204}.get(self.method, 200)
        if self.method == "POST" and self.path in ("/api/auth/token", "/api/auth/token/refresh"):
            success = 200
        if self.method == "POST" and self.path == "/api/auth/logout":
            success = 204
        responses: dict[Any, Any] = {
            success: OpenApiResponse(response=None if success == 204 else OpenApiTypes.OBJECT)
        }
        for status in ERRORS:
            responses[(status, PROBLEM)] = OpenApiResponse(PROBLEM_SCHEMA)
        return responses

    def get_override_parameters(self) -> list[Any]:
        parameters: list[Any] = []
        filters = getattr(self.view, "FilterSerializer", None)
        if filters is not None and self.method == "GET":
            parameters.append(filters)
        if self.method == "GET" and type(self.view).__name__.endswith(("ListApi", "ListCreateApi")):
            parameters += [  # cursor pagination (SPEC §2)
                OpenApiParameter("cursor", OpenApiTypes.STR, OpenApiParameter.QUERY),
                OpenApiParameter("page_size", OpenApiTypes.INT, OpenApiParameter.QUERY),
            ]
        if (self.method, self.path) in IDEMPOTENT:
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=True,
                    description="1-255 printable ASCII characters; one pledge or payment per key.",
                )
            )
        return parameters

    def get_operation_id(self) -> str:
        # One view per operation (STYLE §2): its name and the method are unique and stable.
        view = type(self.view).__name__.removesuffix("Api")
        return f"{view[:1].lower()}{view[1:]}_{self.method.lower()}"

    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        name = type(serializer).__name__
        if name in ("InputSerializer", "FilterSerializer"):
            view = type(self.view).__name__.removesuffix("Api")
            return view + name.removesuffix("Serializer")
        return name


class PlatformJWTScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "careforall_common.auth.PlatformJWTAuthentication"
    name = "bearer"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


def public_paths_only(endpoints: list[Any], **kwargs: Any) -> list[Any]:
    """Preprocessing hook: the gateway routes ``/api/`` only (``/internal/`` never)."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]
