"""Middleware of the shared stack (``settings.MIDDLEWARE``) that Django's own is too dear for.

``AdminOnlyMiddleware``: the admin's middleware, run only for the admin's paths (``ADMIN_PATHS``).

Sessions, CSRF, authentication, the staff recheck and messages serve the Django admin alone:
the API authenticates with bearer tokens and signed internal calls, and DRF's views are exempt
from CSRF. ``AdminOnlyMiddleware`` stands where they stood in ``MIDDLEWARE`` and composes
``ADMIN_MIDDLEWARE`` once, at startup, into a chain of its own, as Django's handler would: a
request under ``ADMIN_PATHS`` goes through that chain, every other one goes straight on, and
pays one prefix test instead of five middleware (their cookie reads, lazy objects and message
storage on every request).

Outside the admin's paths, an unsafe request to a view that is not exempt from CSRF (a plain
Django view) is still checked by the CSRF middleware, as it was when it ran for every request:
such a view refuses a POST without a valid token exactly as before.

``SecurityHeadersMiddleware``: the headers of Django's ``SecurityMiddleware`` and
``XFrameOptionsMiddleware``, worked out once from the same settings and set in one pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.module_loading import import_string

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})  # as CsrfViewMiddleware's

ViewHook = Callable[[HttpRequest, Callable[..., Any], tuple[Any, ...], dict[str, Any]], Any]


class AdminOnlyMiddleware:
    """Run ``ADMIN_MIDDLEWARE``, in its order, for requests under ``ADMIN_PATHS`` only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.paths = tuple(settings.ADMIN_PATHS)
        self.view_hooks: list[ViewHook] = []
        self.csrf: CsrfViewMiddleware | None = None
        handler: Callable[[HttpRequest], Any] = get_response
        for dotted in reversed(settings.ADMIN_MIDDLEWARE):
            try:
                middleware = import_string(dotted)(handler)
            except MiddlewareNotUsed:
                continue
            if hasattr(middleware, "process_exception") or hasattr(
                middleware, "process_template_response"
            ):
                # Only process_view is passed on (below): none of the admin's needs more.
                raise ImproperlyConfigured(f"{dotted}: only process_view is supported here.")
            if hasattr(middleware, "process_view"):
                self.view_hooks.insert(0, middleware.process_view)
            if isinstance(middleware, CsrfViewMiddleware):
                self.csrf = middleware
            handler = convert_exception_to_response(middleware)
        self.admin = handler

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path.startswith(self.paths):
            admin: HttpResponseBase = self.admin(request)
            return admin
        response = self.get_response(request)
        if self.csrf is not None and request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
            # A plain view read the CSRF token (get_token), or the check below renewed a bad
            # cookie: its cookie goes out as it did.
            return self.csrf.process_response(request, response)
        return response

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        """The admin chain's view hooks (CSRF's check); elsewhere, CSRF's check of an unsafe
        request to a view not exempt from it, which only plain Django views are."""
        if request.path.startswith(self.paths):
            for hook in self.view_hooks:
                response = hook(request, view, args, kwargs)
                if response is not None:
                    return response  # type: ignore[no-any-return]
            return None
        if (
            self.csrf is None
            or request.method in SAFE_METHODS
            or getattr(view, "csrf_exempt", False)
        ):
            return None
        self.csrf.process_request(request)
        return self.csrf.process_view(request, view, args, kwargs)


class SecurityHeadersMiddleware:
    """Set ``X-Frame-Options``, ``X-Content-Type-Options``, ``Referrer-Policy`` and
    ``Cross-Origin-Opener-Policy`` as Django's two middleware do, each unless the response has
    it (and ``X-Frame-Options`` unless the view is exempt), at a fraction of their cost.

    HTTPS redirects and HSTS are the gateway's (nginx): a setting asking for them here is
    refused at startup rather than ignored.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if settings.SECURE_SSL_REDIRECT or settings.SECURE_HSTS_SECONDS:
            raise ImproperlyConfigured(
                "SECURE_SSL_REDIRECT and SECURE_HSTS_SECONDS need Django's SecurityMiddleware."
            )
        self.get_response = get_response
        self.frame = settings.X_FRAME_OPTIONS.upper()
        policy = settings.SECURE_REFERRER_POLICY
        if isinstance(policy, str):
            policy = ",".join(value.strip() for value in policy.split(","))
        elif policy:
            policy = ",".join(policy)
        headers = {
            "X-Content-Type-Options": "nosniff" if settings.SECURE_CONTENT_TYPE_NOSNIFF else "",
            "Referrer-Policy": policy or "",
            "Cross-Origin-Opener-Policy": settings.SECURE_CROSS_ORIGIN_OPENER_POLICY or "",
        }
        self.headers = [(name, value) for name, value in headers.items() if value]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        headers = response.headers
        # In the order Django's two set them (X-Frame-Options first, the innermost of them).
        if "X-Frame-Options" not in headers and not getattr(
            response, "xframe_options_exempt", False
        ):
            headers["X-Frame-Options"] = self.frame
        for name, value in self.headers:
            if name not in headers:
                headers[name] = value
        return response
