"""Old admin addresses of the models that left the ``payments`` app, sent to their new ones.

Refunds, disputes and provider events were ``/admin/payments/payments/<model>/``
until each sub-domain got its app; links and bookmarks made before keep working.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponsePermanentRedirect

NEW_APP = {
    "refund": "refunds",
    "dispute": "refunds",
    "providerevent": "provider_events",
}


def admin_moved(request: HttpRequest, model: str) -> HttpResponsePermanentRedirect:
    old = f"/admin/payments/payments/{model}/"
    new = f"/admin/payments/{NEW_APP[model]}/{model}/"
    target = new + request.path[len(old) :]
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{target}?{query}" if query else target)
