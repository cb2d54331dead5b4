"""The platform's transparency key (SPEC §3): Ed25519, one key signing every campaign's log.

``TRANSPARENCY_KEY_FILE`` (default ``$CAREFORALL_KEYS_DIR/transparency.pem``) holds it, PEM
(PKCS #8) or a raw 32-byte seed; only campaign_service mounts it. A development process
(``DJANGO_DEBUG=true``) makes the file on first use when it is missing; in production a missing
key is an error (``manage.py transparency_key --create`` makes one on purpose).
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from transparency import note


class KeyMissing(ImproperlyConfigured):
    pass


def key_create(path: str | Path) -> bool:
    """Write a new key to ``path`` (mode 0600) unless a file is there; return whether it did.

    Written whole under another name, then linked into place: a process that finds the file
    finds all of it, and of two processes making it at once, one key wins.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".transparency-")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        os.chmod(temporary, 0o600)
        os.link(temporary, path)
    except FileExistsError:
        return False  # another process made it first: theirs is the key
    finally:
        os.unlink(temporary)
    return True


def signing_key() -> Ed25519PrivateKey:
    """The key from ``TRANSPARENCY_KEY_FILE`` (made first in development when missing)."""
    path = Path(settings.TRANSPARENCY_KEY_FILE)
    if not path.exists():
        if not settings.DEBUG:
            raise KeyMissing(
                f"TRANSPARENCY_KEY_FILE {path} is missing: the transparency logs cannot be signed"
            )
        key_create(path)
    return _key_load(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=2)
def _key_load(path: str, modified: int) -> Ed25519PrivateKey:
    return note.private_key_load(path)


def key_name() -> str:
    """``<public host>/campaigns``: the key's name, from ``PUBLIC_BASE_URL``."""
    return note.key_name(settings.PUBLIC_BASE_URL)


def verifier_key() -> str:
    """The note verifier key string of the signing key (``GET /api/transparency/key``)."""
    return note.verifier_key_string(key_name(), signing_key().public_key())


def checkpoint_sign(*, campaign_id: int, text: str) -> str:
    """Return the signed note of a checkpoint body of ``campaign_id``'s log."""
    return note.note_sign(text, signing_key(), key_name())


def origin(campaign_id: int) -> str:
    return note.checkpoint_origin(settings.PUBLIC_BASE_URL, campaign_id)
