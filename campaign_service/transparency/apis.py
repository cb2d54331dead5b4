"""The transparency logs' public read API (SPEC §3, docs/transparency.md). Read-only, the same
for everyone (no credentials are read), cacheable: entries and proofs never change once served,
a checkpoint is replaced within seconds."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careforall_common.openapi import PROBLEM, PROBLEM_SCHEMA
from careforall_common.problems import Problem
from transparency import selectors, signing
from transparency.outputs import path_output

# What a browser, the gateway or any proxy may keep: a checkpoint a second (a new one comes
# within 5 s of a change), the key a few minutes, entries and proofs for good (they are fixed
# by their parameters: the log is append-only).
CHECKPOINT_CACHE = "public, max-age=1"
KEY_CACHE = "public, max-age=300"
IMMUTABLE_CACHE = "public, max-age=86400, immutable"


def _int(request: Request, name: str) -> int:
    value = request.query_params.get(name, "")
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise Problem(
            400,
            f"{name} must be a whole number.",
            errors=[{"field": name, "message": "A whole number is required."}],
        )
    return int(value)


def _ints(*names: str) -> list[OpenApiParameter]:
    return [OpenApiParameter(n, OpenApiTypes.INT, OpenApiParameter.QUERY, True) for n in names]


def _answer(read: Any, **kwargs: int) -> Any:
    try:
        return read(**kwargs)
    except selectors.RangeError as error:
        raise Problem(400, str(error)) from None


class PublicReadApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


class AnyAccept(BaseContentNegotiation):
    """The checkpoint is a text note whatever the client accepts (a browser asks for text/plain),
    and an error a problem document: no 406 for an Accept header."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


class TransparencyKeyApi(PublicReadApi):
    """The verifier key of every log's checkpoints: ``{name, key}``."""

    def get(self, request: Request) -> Response:
        body = {"name": signing.key_name(), "key": signing.verifier_key()}
        return Response(body, headers={"Cache-Control": KEY_CACHE})


class CheckpointApi(PublicReadApi):
    """The log's latest signed checkpoint, a C2SP signed note (text/plain)."""

    content_negotiation_class = AnyAccept

    @extend_schema(
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="A signed note."),
            (404, PROBLEM): OpenApiResponse(PROBLEM_SCHEMA, description="An empty log."),
        }
    )
    def get(self, request: Request, campaign_id: int) -> HttpResponse:
        checkpoint = selectors.checkpoint_latest(campaign_id)
        if checkpoint is None:
            raise Problem(404, "This campaign's transparency log has no checkpoint yet.")
        response = HttpResponse(checkpoint.note, content_type="text/plain; charset=utf-8")
        response["Cache-Control"] = CHECKPOINT_CACHE
        return response


class EntriesApi(PublicReadApi):
    """The entries ``[start, end)`` of the log, at most 1,000 a call."""

    @extend_schema(parameters=_ints("start", "end"))
    def get(self, request: Request, campaign_id: int) -> Response:
        start, end = _int(request, "start"), _int(request, "end")
        entries = _answer(selectors.entries_get, campaign_id=campaign_id, start=start, end=end)
        return Response({"entries": entries}, headers={"Cache-Control": IMMUTABLE_CACHE})


class InclusionProofApi(PublicReadApi):
    """The entry at ``index`` and its inclusion path in the tree of ``tree_size`` entries."""

    @extend_schema(parameters=_ints("index", "tree_size"))
    def get(self, request: Request, campaign_id: int) -> Response:
        index, size = _int(request, "index"), _int(request, "tree_size")
        proof = _answer(
            selectors.inclusion_get, campaign_id=campaign_id, index=index, tree_size=size
        )
        body = {"entry": proof.entry, "tree_size": proof.tree_size, "path": path_output(proof.path)}
        return Response(body, headers={"Cache-Control": IMMUTABLE_CACHE})


class ConsistencyProofApi(PublicReadApi):
    """The consistency path from tree size ``from`` to ``to``."""

    @extend_schema(parameters=_ints("from", "to"))
    def get(self, request: Request, campaign_id: int) -> Response:
        old, new = _int(request, "from"), _int(request, "to")
        path = _answer(
            selectors.consistency_get, campaign_id=campaign_id, old_size=old, new_size=new
        )
        return Response({"path": path_output(path)}, headers={"Cache-Control": IMMUTABLE_CACHE})
