"""A stand-in for Cloudflare Turnstile (https://developers.cloudflare.com/turnstile/), served like
challenges.cloudflare.com serves it, under `/turnstile/v0/`:

- `GET api.js` — the widget script (`turnstile.render`, `reset`, `remove`, `getResponse`,
  `isExpired`, `ready`, implicit rendering of `.cf-turnstile` elements);
- `GET widget` — the widget's frame, which solves the challenge and hands the page a token;
- `POST token` `{sitekey, action?, cdata?, hostname?}` → `{"token"}` — a solve without a browser,
  for tests;
- `POST siteverify` (form-encoded or JSON `secret`, `response`, `remoteip?`,
  `idempotency_key?`) → Cloudflare's answer.

Every solve makes a new single-use token, valid 300 s on the sandbox's clock. Site keys:
`1x00000000000000000000AA` / `…BB` always solve (visible / invisible), `2x00000000000000000000AB`
/ `2x00000000000000000000BB` never do (the widget fails, and their tokens fail verification),
`3x00000000000000000000FF` and any other key solve once the visitor ticks the box. Secret keys:
Cloudflare's test secrets `1x0000000000000000000000000000000AA` (always passes),
`2x…AA` (always fails, `invalid-input-response`) and `3x…AA` (`timeout-or-duplicate`); any other
non-empty secret (or only `SANDBOX_TURNSTILE_SECRET_KEY` when that is set) verifies for real:
only tokens the sandbox issued, once each.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl

from .api import Request, Response, json_bytes
from .clock import Clock

PREFIX = "/turnstile/"
TOKEN_TTL_S = 300  # Cloudflare: a token is valid for 300 seconds
MAX_TOKEN_LENGTH = 2048
FAILING_SITE_KEYS = frozenset({"2x00000000000000000000AB", "2x00000000000000000000BB"})
PASSING_SECRET = "1x0000000000000000000000000000000AA"
FAILING_SECRET = "2x0000000000000000000000000000000AA"
SPENT_SECRET = "3x0000000000000000000000000000000AA"
DUMMY_HOSTNAME = "localhost"
_ASSETS = {
    "/turnstile/v0/api.js": ("turnstile.js", "application/javascript; charset=utf-8"),
    "/turnstile/v0/widget": ("turnstile-widget.html", "text/html; charset=utf-8"),
    "/turnstile/v0/widget.js": ("turnstile-widget.js", "application/javascript; charset=utf-8"),
    "/turnstile/v0/widget.css": ("turnstile-widget.css", "text/css; charset=utf-8"),
}
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors *; base-uri 'none'",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(slots=True, eq=False)
class Token:
    sitekey: str
    solved_at: float  # the sandbox clock's unix time, with milliseconds
    hostname: str
    action: str
    cdata: str
    spent_with: str | None = None  # the idempotency key of its verification ("" for none)
    answer: dict[str, Any] | None = None  # that verification's answer, replayed with the key


class Turnstile:
    def __init__(self, *, clock: Clock, secret_key: str | None) -> None:
        self._clock = clock
        self._secret_key = secret_key
        self._lock = threading.Lock()
        self._tokens: dict[str, Token] = {}
        self._counts = {"issued": 0, "verified": 0, "refused": 0}
        self._files = resources.files(__package__) / "js"

    def reset(self) -> None:
        with self._lock:
            self._tokens.clear()
            self._counts = dict.fromkeys(self._counts, 0)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"tokens": len(self._tokens), **self._counts}

    def handle(self, request: Request) -> Response:
        route = f"{request.method} {request.path}"
        asset = _ASSETS.get(request.path)
        if asset is not None and request.method == "GET":
            name, content_type = asset
            body = (self._files / name).read_bytes()
            return Response(200, body, route, dict(_PAGE_HEADERS), content_type=content_type)
        if request.path == "/turnstile/v0/token" and request.method == "POST":
            fields = _fields(request)
            if (
                fields is None
                or not isinstance(fields.get("sitekey"), str)
                or not fields["sitekey"]
            ):
                return _json(400, {"error": "sitekey is required (a string)"}, route)
            return _json(200, {"token": self.issue(fields)}, route)
        if request.path == "/turnstile/v0/siteverify":
            if request.method != "POST":
                return _json(405, _failure("bad-request"), route)
            fields = _fields(request)
            answer = _failure("bad-request") if fields is None else self.verify(fields)
            return _json(200, answer, route)
        return _json(404, {"error": f"Unrecognized URL ({request.method}: {request.path})"}, route)

    def issue(self, fields: dict[str, Any]) -> str:
        """Solve a challenge of `fields["sitekey"]`: a new single-use token."""
        token = "0." + secrets.token_urlsafe(160)
        record = Token(
            sitekey=str(fields["sitekey"]),
            solved_at=self._clock.now() + (time.time() % 1),
            hostname=_text(fields.get("hostname")) or DUMMY_HOSTNAME,
            action=_text(fields.get("action")),
            cdata=_text(fields.get("cdata")),
        )
        with self._lock:
            self._prune()
            self._tokens[token] = record
            self._counts["issued"] += 1
        return token

    def verify(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Cloudflare's siteverify: `{"success", "error-codes", ...}`; a token verifies once."""
        secret = _text(fields.get("secret"))
        response = _text(fields.get("response"))
        key = _text(fields.get("idempotency_key"))
        errors = []
        if not secret:
            errors.append("missing-input-secret")
        elif secret not in (PASSING_SECRET, FAILING_SECRET, SPENT_SECRET) and (
            self._secret_key is not None and secret != self._secret_key
        ):
            errors.append("invalid-input-secret")
        if not response:
            errors.append("missing-input-response")
        with self._lock:
            if errors:
                answer = _failure(*errors)
            elif secret == PASSING_SECRET:
                answer = self._success(self._tokens.get(response))
            elif secret == FAILING_SECRET:
                answer = _failure("invalid-input-response")
            elif secret == SPENT_SECRET:
                answer = _failure("timeout-or-duplicate")
            else:
                answer = self._redeem(response, key)
            self._counts["verified" if answer["success"] else "refused"] += 1
            return answer

    # --- Inside the lock ----------------------------------------------------------------------

    def _redeem(self, response: str, key: str) -> dict[str, Any]:
        token = self._tokens.get(response) if len(response) <= MAX_TOKEN_LENGTH else None
        if token is None or token.sitekey in FAILING_SITE_KEYS:
            return _failure("invalid-input-response")
        if token.spent_with is not None:
            if key and key == token.spent_with and token.answer is not None:
                return dict(token.answer)  # the same verification, retried with its key
            return _failure("timeout-or-duplicate")
        token.spent_with = key
        if self._clock.now() - token.solved_at > TOKEN_TTL_S:
            token.answer = _failure("timeout-or-duplicate")
        else:
            token.answer = self._success(token)
        return dict(token.answer)

    def _success(self, token: Token | None) -> dict[str, Any]:
        solved_at = token.solved_at if token is not None else self._clock.now()
        return {
            "success": True,
            "error-codes": [],
            "challenge_ts": _iso(solved_at),
            "hostname": token.hostname if token is not None else DUMMY_HOSTNAME,
            "action": token.action if token is not None else "",
            "cdata": token.cdata if token is not None else "",
        }

    def _prune(self) -> None:
        """Forget tokens a day past their expiry (their answer can no longer change)."""
        if len(self._tokens) < 10_000:
            return
        horizon = self._clock.now() - TOKEN_TTL_S - 86_400
        for token, record in list(self._tokens.items()):
            if record.solved_at < horizon:
                del self._tokens[token]


def _fields(request: Request) -> dict[str, Any] | None:
    """The body as Cloudflare reads it: JSON or form-encoded; None when malformed."""
    content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if content_type == "application/json":
        try:
            value = json.loads(text or "{}")
        except ValueError:
            return None
        return value if isinstance(value, dict) else None
    return dict(parse_qsl(text, keep_blank_values=True))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _failure(*codes: str) -> dict[str, Any]:
    return {"success": False, "error-codes": list(codes)}


def _iso(moment: float) -> str:
    seconds = int(moment)
    millis = int((moment - seconds) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def _json(status: int, body: dict[str, Any], route: str) -> Response:
    return Response(status, json_bytes(body), route)
