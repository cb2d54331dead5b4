"""What a browser loads from the sandbox: the Stripe.js stand-in, its frames, 3-D Secure.

Served like js.stripe.com and hooks.stripe.com serve Stripe's (docs/stripe-sandbox.md):

- `GET /v3/` — the script a donor site loads (`Stripe(publishableKey)`, `elements()`,
  `confirmPayment()`, `retrievePaymentIntent()`);
- `GET /elements/payment` — the Payment Element, a page of the sandbox's origin that the script
  frames: the card is typed there and sent from there to `/v1`, so the donor site (another
  origin) never sees it;
- `GET /3ds/{challenge}` — the 3-D Secure test challenge; `POST /3ds/{challenge}/complete` or
  `/fail` is the donor's answer (the challenge id is the secret, as on hooks.stripe.com).
"""

from __future__ import annotations

import re
from importlib import resources

from .api import Request, Response, json_bytes
from .errors import ApiError
from .payments import Payments
from .setup_intents import setup_challenge_finish

BROWSER_PREFIXES = ("/v3", "/elements/", "/3ds/")
_ASSETS = {
    "/v3": ("stripe.js", "application/javascript; charset=utf-8"),
    "/v3/": ("stripe.js", "application/javascript; charset=utf-8"),
    "/elements/payment": ("payment-element.html", "text/html; charset=utf-8"),
    "/elements/payment-element.js": ("payment-element.js", "application/javascript; charset=utf-8"),
    "/elements/challenge.js": ("challenge.js", "application/javascript; charset=utf-8"),
    "/elements/frames.css": ("frames.css", "text/css; charset=utf-8"),
}
_CHALLENGE = re.compile(r"/3ds/(src_1[A-Za-z0-9]{23})(?:/(complete|fail))?")
# The sandbox's own pages: their scripts and styles only; any site may frame them (as Stripe's).
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors *; base-uri 'none'",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


class Browser:
    def __init__(self, payments: Payments) -> None:
        self._payments = payments
        self._files = resources.files(__package__) / "js"

    def handle(self, request: Request) -> Response:
        route = f"{request.method} {request.path}"
        asset = _ASSETS.get(request.path)
        if asset is not None and request.method == "GET":
            name, content_type = asset
            return self._file(name, content_type, route)
        found = _CHALLENGE.fullmatch(request.path)
        if found is None:
            return _error(404, f"Unrecognized URL ({request.method}: {request.path})", route)
        challenge, answer = found.groups()
        if answer is None and request.method == "GET":
            return self._file("challenge.html", "text/html; charset=utf-8", "GET /3ds/{id}")
        if answer is None or request.method != "POST":
            return _error(405, "Use POST to answer a challenge.", route)
        route = f"POST /3ds/{{id}}/{answer}"
        passed = answer == "complete"
        try:
            if challenge in self._payments.setup_challenges:
                intent = setup_challenge_finish(self._payments, challenge, passed=passed)
            else:
                intent = self._payments.challenge_finish(challenge, passed=passed)
        except ApiError as error:
            return Response(error.status, json_bytes(error.body()), route)
        return Response(200, json_bytes({"status": intent["status"]}), route)

    def _file(self, name: str, content_type: str, route: str) -> Response:
        body = (self._files / name).read_bytes()
        return Response(200, body, route, dict(_PAGE_HEADERS), content_type=content_type)


def _error(status: int, message: str, route: str) -> Response:
    error = {"message": message, "type": "invalid_request_error"}
    return Response(status, json_bytes({"error": error}), route)
