"""Stripe's error responses: `{"error": {"type", "code", "message", "param", ...}}`."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error response as Stripe shapes it.

    `executed` tells the idempotency layer whether the endpoint ran: Stripe saves (and replays)
    the result of a request that started executing, but not one refused by validation.
    """

    def __init__(
        self,
        status: int,
        error: dict[str, Any],
        *,
        executed: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(error.get("message"))
        self.status = status
        self.error = error
        self.executed = executed
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": self.error}


def doc_url(code: str) -> str:
    return "https://stripe.com/docs/error-codes/" + code.replace("_", "-")


def error_fields(
    kind: str, message: str, *, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {}
    if code is not None:
        error["code"] = code
        error["doc_url"] = doc_url(code)
    error["message"] = message
    if param is not None:
        error["param"] = param
    error["type"] = kind
    return error


def invalid_request(
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    status: int = 400,
    executed: bool = False,
    **extra: Any,
) -> ApiError:
    error = error_fields("invalid_request_error", message, param=param, code=code)
    error.update(extra)
    return ApiError(status, error, executed=executed)


def resource_missing(kind: str, object_id: str, *, param: str, status: int = 404) -> ApiError:
    """`No such payment_intent: 'pi_x'` — 404 for an id in the path, 400 for one in a param."""
    return invalid_request(
        f"No such {kind}: '{object_id}'", param=param, code="resource_missing", status=status
    )


def missing_param(name: str) -> ApiError:
    return invalid_request(f"Missing required param: {name}.", param=name, code="parameter_missing")


def unexpected_state(message: str, *, payment_intent: dict[str, Any]) -> ApiError:
    return invalid_request(
        message,
        code="payment_intent_unexpected_state",
        executed=True,
        payment_intent=payment_intent,
    )


def unrecognized_url(method: str, path: str) -> ApiError:
    return invalid_request(
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.",
        status=404,
    )


def idempotency_error(
    message: str, *, status: int = 400, code: str | None = None, kind: str = "idempotency_error"
) -> ApiError:
    """A misused key (400 `idempotency_error`), or one still in use (Stripe's 409: type
    `invalid_request_error`, code `idempotency_key_in_use`, which the SDK raises as an APIError
    and retries)."""
    return ApiError(status, error_fields(kind, message, code=code))


def no_api_key() -> ApiError:
    return invalid_request(
        "You did not provide an API key. You need to provide your API key in the Authorization "
        "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
        "https://stripe.com/docs/api#authentication for details, or we can help at "
        "https://support.stripe.com/.",
        status=401,
    )


def invalid_api_key(key: str) -> ApiError:
    shown = key[:8] + "*" * max(len(key) - 12, 0) + key[-4:] if len(key) > 12 else key
    return invalid_request(f"Invalid API Key provided: {shown}", status=401)


def card_error(code: str, message: str, param: str = "exp_year") -> ApiError:
    """A card the provider refuses before any charge (a mistyped number, a past expiry)."""
    return ApiError(402, error_fields("card_error", message, param=param, code=code))
