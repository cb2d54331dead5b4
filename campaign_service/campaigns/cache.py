"""Public campaign reads, rendered for the gateway to serve from memcached (SPEC §3, §5.8).

The gateway answers a guest's ``GET /api/campaigns/{id}`` and the first page of the campaign
list from memcached (nginx's memcached module), without Python; a miss comes here and is filled.
Freshness does not rest on a time-to-live:

- **Detail.** Whoever changes a campaign's row renders its JSON and sets it *while holding the
  row lock*, just before the commit (the projector for totals, the services for edits). Two
  writers of one campaign are serialised by that lock, so the entry always ends at the newest
  committed state. A deletion (or a campaign leaving the public statuses) removes the entry
  inside its transaction and again after its commit.
- **Fills.** A fill after a miss uses ``add``, which never replaces an entry, and stands only if
  no writer touched the campaign since the fill began: every write also sets the campaign's
  *generation* (a fresh random token, ``GENERATION_KEY``) before its entry, the fill reads the
  generation before it reads the row, and removes what it added when the generation moved
  meanwhile. So a fill that read a row before a commit cannot bring back what the commit
  removed (audit finding 6): a deleted campaign served for a minute. The price is a rare extra
  miss. What a crash between the set and the commit could leave is bounded by
  ``CAMPAIGN_CACHE_SECONDS``.
- **List.** A page holds many campaigns, so no one lock orders its writers: every change
  deletes the cached pages after its commit, and a page lives ``CAMPAIGN_LIST_CACHE_SECONDS``
  (1 s) at most, which bounds the race of a fill that read just before a commit.

Only what anyone may read is cached: public statuses, guests' requests (the gateway sends any
request with an ``Authorization`` header to the service). Memcached being down costs only
speed: every failure here is logged and ignored, and the gateway falls back to the service.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from pymemcache.client.base import PooledClient
from rest_framework.renderers import JSONRenderer

from campaigns.models import Campaign
from campaigns.outputs import campaign_output
from campaigns.selectors import PUBLIC_STATUSES
from careforall_common.redis_client import redis_client as _redis

logger = logging.getLogger(__name__)

DETAIL_KEY = "cfa:campaign:{id}"
# Never a key the gateway reads: its detail location takes digits only after "cfa:campaign:".
GENERATION_KEY = "cfa:campaign:{id}:generation"
LIST_KEY = "cfa:campaigns:{host}:{query}"
LIST_KEYS = "careforall:campaign-list-keys"  # a Redis set: the list pages now cached
# The list queries the gateway looks up (nginx/careforall.conf.template has the same pattern).
CACHED_LIST_QUERY = re.compile(
    r"(status=(active|closed)(&page_size=[0-9]{1,3})?|page_size=[0-9]{1,3})?"
)
_SAFE_KEY = re.compile(r"[A-Za-z0-9:._=&\[\]-]{1,250}")
RETRY_AFTER = 5.0  # seconds without memcached calls after a failure

_renderer = JSONRenderer()
_client: Any = None
_failed_at = 0.0


def _memcached() -> Any:
    """The client, or None while the cache is off or for a moment after a failure.

    After a failure, writes may have been lost and entries left stale: the first call after the
    pause empties the cache before anything else, so nothing stale outlives the pause.
    """
    global _client, _failed_at
    server = settings.CAMPAIGN_CACHE_URL
    if not server or time.monotonic() - _failed_at < RETRY_AFTER:
        return None
    if _client is None:
        host, _, port = server.rpartition(":")
        _client = PooledClient(
            (host, int(port)), connect_timeout=0.2, timeout=0.2, no_delay=True, max_pool_size=8
        )
    if _failed_at:
        try:
            _client.flush_all(noreply=False)
        except Exception as error:
            _failed("emptying the cache", error)
            return None
        _failed_at = 0.0
    return _client


def _failed(action: str, error: Exception) -> None:
    """Pause the cache for a moment, and say why."""
    global _failed_at
    _failed_at = time.monotonic()
    logger.warning("campaign cache: %s failed (%r); the gateway reads the service", action, error)


def render(data: Any) -> bytes:
    """The response body exactly as the API renders it."""
    return _renderer.render(data)


def _detail_body(campaign: Campaign) -> bytes:
    return render(campaign_output(campaign))


def _generations(ids: Iterable[int]) -> dict[str, bytes]:
    """A fresh generation for each campaign: whatever a fill read before is now outdated."""
    return {GENERATION_KEY.format(id=pk): secrets.token_hex(8).encode() for pk in ids}


def campaigns_changed(campaign_ids: Iterable[int]) -> None:
    """Call inside the transaction that changed these campaigns, holding their row locks."""
    ids = list(campaign_ids)
    if not ids:
        return
    transaction.on_commit(list_pages_forget)
    client = _memcached()
    if client is None:
        return
    campaigns = Campaign.objects.filter(pk__in=ids)
    public = {c.pk: c for c in campaigns if c.status in PUBLIC_STATUSES}
    gone = [pk for pk in ids if pk not in public]
    if gone:
        transaction.on_commit(partial(_details_forget, gone))
    # The generations first (one connection, in order): a fill that lands after an entry's
    # write below finds its generation moved.
    values = _generations(ids)
    values.update({DETAIL_KEY.format(id=pk): _detail_body(c) for pk, c in public.items()})
    try:
        client.set_many(values, expire=settings.CAMPAIGN_CACHE_SECONDS, noreply=False)
        if gone:
            client.delete_many([DETAIL_KEY.format(id=pk) for pk in gone], noreply=False)
    except Exception as error:
        _failed("a write", error)


def campaign_saved(campaign: Campaign) -> None:
    """An edit of ``campaign`` (create, update) inside its transaction; it holds the row lock."""
    campaigns_changed([campaign.pk])


def campaign_deleted(campaign_id: int) -> None:
    """A deletion inside its transaction: the entry goes now, and again once it commits.

    Until the commit, a guest's miss still reads the row and may fill it; the second removal
    and the new generation it sets undo any such fill (audit finding 6).
    """
    transaction.on_commit(list_pages_forget)
    transaction.on_commit(partial(_details_forget, [campaign_id]))
    _details_forget([campaign_id])


def _details_forget(campaign_ids: list[int]) -> None:
    """Move the campaigns' generations, then remove their entries."""
    client = _memcached()
    if client is None:
        return
    try:
        client.set_many(
            _generations(campaign_ids), expire=settings.CAMPAIGN_CACHE_SECONDS, noreply=False
        )
        client.delete_many([DETAIL_KEY.format(id=pk) for pk in campaign_ids], noreply=False)
    except Exception as error:
        _failed("a delete", error)


def campaign_generation(campaign_id: int) -> bytes | None:
    """Before a guest's read of the row: the generation its fill is conditional on."""
    client = _memcached()
    if client is None:
        return None
    try:
        generation: bytes | None = client.get(GENERATION_KEY.format(id=campaign_id))
    except Exception as error:
        _failed("a generation read", error)
        return None
    return generation


def campaign_fill(campaign: Campaign, body: bytes, *, generation: bytes | None) -> None:
    """After a guest's miss: keep ``body``, read under ``generation``, unless a writer has set a
    newer entry, or touched the campaign at all, since (``campaign_generation``)."""
    client = _memcached()
    if client is None or campaign.status not in PUBLIC_STATUSES:
        return
    key = DETAIL_KEY.format(id=campaign.pk)
    try:
        added = client.add(key, body, expire=settings.CAMPAIGN_CACHE_SECONDS, noreply=False)
        if added and client.get(GENERATION_KEY.format(id=campaign.pk)) != generation:
            # A write came between the read of the row and the add: the body may be older
            # than what that write left (nothing, for a deletion). A miss is always safe.
            client.delete(key, noreply=False)
    except Exception as error:
        _failed("a fill", error)


def list_key(*, host: str, query: str) -> str | None:
    """The key the gateway looks the list page up by, or None when it does not look it up."""
    if not CACHED_LIST_QUERY.fullmatch(query):
        return None
    key = LIST_KEY.format(host=host, query=query)
    return key if _SAFE_KEY.fullmatch(key) else None


def list_fill(key: str, body: bytes) -> None:
    client = _memcached()
    if client is None:
        return
    try:
        _redis().sadd(LIST_KEYS, key)
        client.add(key, body, expire=settings.CAMPAIGN_LIST_CACHE_SECONDS, noreply=False)
    except Exception as error:
        _failed("a list fill", error)


def list_pages_forget() -> None:
    """Delete every cached list page (after a commit that changed a campaign)."""
    client = _memcached()
    if client is None:
        return
    try:
        keys = [key.decode() for key in _redis().smembers(LIST_KEYS)]
        if keys:
            client.delete_many(keys, noreply=False)
    except Exception as error:
        _failed("forgetting list pages", error)
