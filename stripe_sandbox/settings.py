"""Process settings (environment) and the chaos configuration (environment + /_sandbox/config)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

# The API version stripe-python 16.1.0 pins (stripe._api_version._ApiVersion.CURRENT); events
# carry it as `api_version`, as Stripe stamps the endpoint's version on each event.
DEFAULT_API_VERSION = "2026-10-28.endive"


class ConfigError(ValueError):
    """A setting or a config field has a wrong value; `param` names it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


@dataclass(frozen=True, slots=True)
class Chaos:
    """How webhooks are delivered; changeable at run time through `POST /_sandbox/config`.

    Each delivery takes the values in force when its event is created (copies, delay, order,
    drops); the retry backoff and the URL are read at each attempt.
    """

    webhook_url: str = "http://127.0.0.1:8080/api/payments/webhook"
    enabled_events: tuple[str, ...] = ("*",)
    duplicate: int = 0
    reorder: bool = False
    reorder_window_ms: int = 500
    delay_ms: int = 0
    drop_first: int = 0
    drop_forever: bool | tuple[str, ...] = False
    retry_base_ms: int = 200
    retry_cap_ms: int = 10_000
    # Hold every API answer to a POST this long after its effect: a slow provider, and the window
    # in which a test kills the caller between the provider's effect and the caller's commit.
    response_delay_ms: int = 0
    # Hold every API POST this long before its effect, its idempotency key in use all along: a
    # second request with that key meanwhile gets Stripe's 409 `idempotency_key_in_use`.
    processing_delay_ms: int = 0
    # New refunds (of every PaymentIntent, or of these ones) are created `pending` and stay so
    # until `POST /_sandbox/refunds/{id}/settle`.
    refunds_pending: bool | tuple[str, ...] = False
    # How long a refund of a refund test card (pm_card_pendingRefund, pm_card_refundFail) takes
    # to move by itself; 0: it moves only through `POST /_sandbox/refunds/{id}/settle`.
    refund_settle_ms: int = 2000

    def as_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["enabled_events"] = list(self.enabled_events)
        for name in ("drop_forever", "refunds_pending"):
            if isinstance(data[name], tuple):
                data[name] = list(data[name])
        return data

    def updated(self, changes: Mapping[str, Any]) -> Chaos:
        """Return a copy with `changes` (already-typed JSON values) validated and applied."""
        names = {f.name for f in dataclasses.fields(self)}
        values: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in names:
                raise ConfigError(name, f"Unknown config field: {name}")
            values[name] = _check_field(name, value)
        new = dataclasses.replace(self, **values)
        if new.retry_cap_ms < new.retry_base_ms:
            raise ConfigError("retry_cap_ms", "retry_cap_ms must be at least retry_base_ms")
        return new

    def delivers(self, event_type: str) -> bool:
        return bool(self.webhook_url) and (
            "*" in self.enabled_events or event_type in self.enabled_events
        )

    def drops_forever(self, event_type: str) -> bool:
        if isinstance(self.drop_forever, bool):
            return self.drop_forever
        return event_type in self.drop_forever

    def holds_refunds(self, intent_id: str) -> bool:
        """Whether new refunds of the intent stay `pending` until settled by hand."""
        if isinstance(self.refunds_pending, bool):
            return self.refunds_pending
        return intent_id in self.refunds_pending


_LIMITS = {
    "duplicate": 10,
    "reorder_window_ms": 600_000,
    "delay_ms": 600_000,
    "drop_first": 1_000,
    "retry_base_ms": 600_000,
    "retry_cap_ms": 3_600_000,
    "response_delay_ms": 60_000,
}
# Fields set only through `POST /_sandbox/config` (no environment variable): test controls.
_RUNTIME_BOUNDS = {
    "processing_delay_ms": 60_000,
    "refund_settle_ms": 3_600_000,
}


def _check_field(name: str, value: Any) -> Any:
    limit = _LIMITS.get(name, _RUNTIME_BOUNDS.get(name))
    if limit is not None:
        if type(value) is not int or not 0 <= value <= limit:
            raise ConfigError(name, f"{name} must be an integer from 0 to {limit}")
        if name == "retry_base_ms" and value == 0:
            raise ConfigError(name, "retry_base_ms must be at least 1")
        return value
    if name == "reorder":
        if type(value) is not bool:
            raise ConfigError(name, "reorder must be true or false")
        return value
    if name == "webhook_url":
        if not isinstance(value, str) or (value and not _is_http_url(value)):
            raise ConfigError(name, "webhook_url must be an http(s) URL, or empty for none")
        return value
    if name in ("drop_forever", "refunds_pending") and type(value) is bool:
        return value
    # enabled_events, drop_forever: a list of event types ("*" for all in enabled_events);
    # refunds_pending: a list of PaymentIntent ids
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        what = "PaymentIntent ids" if name == "refunds_pending" else "event types"
        either = "" if name == "enabled_events" else "true, false or "
        raise ConfigError(name, f"{name} must be {either}a list of {what}")
    return tuple(value)


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything fixed for the life of the process, read from the environment."""

    host: str = "127.0.0.1"
    port: int = 12111
    webhook_secret: str = "whsec_careforall_local"
    api_key: str | None = None  # None: any key starting with sk_test_
    publishable_key: str | None = None  # None: any key starting with pk_test_
    # None: siteverify takes any non-empty secret (besides Cloudflare's test secrets)
    turnstile_secret_key: str | None = None
    api_version: str = DEFAULT_API_VERSION
    log_requests: bool = True
    webhook_timeout_ms: int = 10_000
    webhook_concurrency: int = 8
    event_retention: int = 20_000
    idempotency_ttl_s: int = 24 * 3600
    idempotency_max_keys: int = 500_000
    chaos: Chaos = field(default_factory=Chaos)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read SANDBOX_* and STRIPE_WEBHOOK_SECRET; raise ConfigError on a bad value."""
        base = cls()
        chaos = base.chaos.updated(_chaos_env(env))
        return cls(
            host=env.get("SANDBOX_HOST", base.host),
            port=_env_int(env, "SANDBOX_PORT", base.port, 0, 65_535),
            webhook_secret=env.get("STRIPE_WEBHOOK_SECRET", base.webhook_secret),
            api_key=env.get("SANDBOX_API_KEY") or None,
            publishable_key=env.get("SANDBOX_PUBLISHABLE_KEY") or None,
            turnstile_secret_key=env.get("SANDBOX_TURNSTILE_SECRET_KEY") or None,
            api_version=env.get("SANDBOX_API_VERSION", base.api_version),
            log_requests=_env_bool(env, "SANDBOX_LOG", base.log_requests),
            webhook_timeout_ms=_env_int(
                env, "SANDBOX_WEBHOOK_TIMEOUT_MS", base.webhook_timeout_ms, 1, 600_000
            ),
            webhook_concurrency=_env_int(
                env, "SANDBOX_WEBHOOK_CONCURRENCY", base.webhook_concurrency, 1, 256
            ),
            event_retention=_env_int(
                env, "SANDBOX_EVENT_RETENTION", base.event_retention, 1, 10_000_000
            ),
            idempotency_ttl_s=_env_int(
                env, "SANDBOX_IDEMPOTENCY_TTL_S", base.idempotency_ttl_s, 1, 30 * 86_400
            ),
            idempotency_max_keys=_env_int(
                env, "SANDBOX_IDEMPOTENCY_MAX_KEYS", base.idempotency_max_keys, 1, 100_000_000
            ),
            chaos=chaos,
        )


def _chaos_env(env: Mapping[str, str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if "SANDBOX_WEBHOOK_URL" in env:
        changes["webhook_url"] = env["SANDBOX_WEBHOOK_URL"]
    if "SANDBOX_ENABLED_EVENTS" in env:
        changes["enabled_events"] = _env_list(env["SANDBOX_ENABLED_EVENTS"])
    for name in _LIMITS:
        variable = f"SANDBOX_{name.upper()}"
        if variable in env:
            changes[name] = _env_int(env, variable, 0, 0, _LIMITS[name])
    if "SANDBOX_REORDER" in env:
        changes["reorder"] = _env_bool(env, "SANDBOX_REORDER", False)
    raw = env.get("SANDBOX_DROP_FOREVER")
    if raw is not None:
        lowered = raw.strip().lower()
        if lowered in _BOOLEANS:
            changes["drop_forever"] = _BOOLEANS[lowered]
        else:
            changes["drop_forever"] = _env_list(raw)
    return changes


_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True}
_BOOLEANS |= {"0": False, "false": False, "no": False, "off": False, "": False}


def _env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        return _BOOLEANS[raw.strip().lower()]
    except KeyError:
        raise ConfigError(name, f"{name} must be true or false, not {raw!r}") from None


def _env_int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"{name} must be an integer, not {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"{name} must be from {low} to {high}, not {value}")
    return value


def _env_list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]
