"""The provider's client (the official ``stripe`` SDK only, SPEC §3) and what its errors mean.

Every module that talks to the provider (``payments.provider`` for intents,
``refunds.provider`` for refunds and disputes) takes its client here and says what a failure
means with the exceptions below.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import cache
from typing import Any, cast

import requests
import stripe
from django.conf import settings


class ProviderUnavailable(Exception):
    """The provider could not be reached or did not answer usefully; try again later."""


class ProviderBusy(ProviderUnavailable):
    """A request with the same idempotency key is still running at the provider."""


class ProviderRefused(Exception):
    """The provider refused a request that no retry can change (e.g. an unknown intent)."""


def provider_key(kind: str, object_id: int, action: str = "") -> str:
    """The deterministic idempotency key of one provider call: the same on every try.

    ``careforall-payment-<id>-create`` for a payment, ``careforall-refund-<id>`` for a refund.
    """
    key = f"{settings.STRIPE_IDEMPOTENCY_PREFIX}-{kind}-{object_id}"
    return f"{key}-{action}" if action else key


def stripe_client() -> stripe.StripeClient:
    return _client_for(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE,
        settings.STRIPE_TIMEOUT,
        settings.STRIPE_MAX_NETWORK_RETRIES,
    )


def provider_post(path: str, params: Mapping[str, Any], key: str) -> dict[str, Any]:
    """POST ``params`` to the provider's ``path`` with the idempotency key ``key``; return the
    object it answers as plain JSON (dicts and lists).

    The SDK's request as its service methods make it (the same client, HTTP session, retries,
    API version, headers and form encoding; an error status raised as the same ``stripe``
    exception, ``CardError``, ``InvalidRequestError``, …), without its response objects: they
    cost about as much CPU as the rest of the SDK's work on the call, only to be read here.
    ``params`` use none of the names the SDK takes as options (``api_key``, ``base``, …).
    """
    response = stripe_client().raw_request("post", path, **params, idempotency_key=key)
    return cast(dict[str, Any], response.data)


@cache
def _client_for(
    secret_key: str, api_base: str, timeout: float, retries: int
) -> stripe.StripeClient:
    """One client per configuration (the SDK's requests client keeps a session per thread)."""
    return stripe.StripeClient(
        secret_key,
        # An empty base means Stripe itself; {"api": None} would not (docs/stripe-sandbox.md).
        base_addresses={"api": api_base} if api_base else {},
        max_network_retries=retries,
        http_client=_RequestsClient(timeout=timeout, proxy=_environment_proxy(api_base)),
    )


def _environment_proxy(api_base: str) -> Any:
    """The proxy the environment names for the provider's address, read once per process
    (``{"http": …, "https": …}``, the SDK's form), or None."""
    url = api_base or "https://api.stripe.com"
    proxies = requests.utils.get_environ_proxies(url)
    chosen = {scheme: proxies[scheme] for scheme in ("http", "https") if scheme in proxies}
    return chosen or None


class _RequestsClient(stripe.RequestsClient):
    """The SDK's requests client, one session per thread as the SDK keeps them, but without
    the environment look-ups (proxies, netrc) that requests makes on every call of a session
    that trusts the environment: the proxy is read once, when the client is made."""

    _thread_local: threading.local

    def _request_internal(self, *args: Any, **kwargs: Any) -> Any:
        if getattr(self._thread_local, "session", None) is None:
            session = requests.Session()
            session.trust_env = False
            self._thread_local.session = session
        return super()._request_internal(*args, **kwargs)
