"""Signatures of internal calls (SPEC §4, docs/security.md "Internal calls").

v2, what every service sends: each service signs with its own Ed25519 private key and the
receiver verifies with that service's public key, so a service can only ever speak as itself::

    X-CareForAll-Signature: t=<unix>,s=<sender>,k=<key id>,v2=<base64url signature>

over ``"v2\\n<t>\\n<METHOD>\\n<path with query>\\n<sender>\\n<hex sha256 of the raw body>"``. The
key id is the first 8 hex digits of the sha256 of the raw public key; it picks one of the
sender's public keys (two during a rotation).

v1, SPEC §4's shared secret: HMAC-SHA256 over ``"<t>.<body>"`` as ``t=<unix>,v1=<hex>``. Every
holder of the secret can sign anything as anyone, so receivers take it only when
``INTERNAL_SIGNATURE_V1`` is ``accept`` (development, and a migration from v1).

Keys are read once per process: the private key on first use, the public keys of a directory on
first use and again (at most every ``RELOAD_SECONDS``) when a call names a key id not yet known,
which is how a ``.next.pub`` added during a rotation is found without a restart.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import re
import threading
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

HEADER = "X-CareForAll-Signature"

logger = logging.getLogger(__name__)

# --- v1: the shared secret ----------------------------------------------------------------


def sign(body: bytes, *, secret: str, timestamp: int | None = None) -> str:
    """Return the v1 signature header value for ``body``."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={v1_digest(body, secret=secret, timestamp=t)}"


def v1_digest(body: bytes, *, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def parse(header: str | None) -> dict[str, list[str]]:
    """The ``name=value`` items of a signature header; {} for none or a non-ASCII one."""
    if not header or not header.isascii():
        return {}  # compare_digest refuses non-ASCII text with a TypeError
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    return parts


def _fresh_timestamp(parts: Mapping[str, list[str]], tolerance: int) -> int | None:
    try:
        t = int(parts["t"][0])
    except (KeyError, ValueError):
        return None
    return t if abs(time.time() - t) <= tolerance else None


def verify(header: str | None, body: bytes, *, secret: str, tolerance: int = 300) -> bool:
    """Return whether ``header`` signs ``body`` with ``secret`` (v1) within ``tolerance`` s."""
    parts = parse(header)
    if not secret:
        return False
    t = _fresh_timestamp(parts, tolerance)
    if t is None:
        return False
    expected = v1_digest(body, secret=secret, timestamp=t)
    return any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", []))


# --- v2: a key pair per service -----------------------------------------------------------

# What a service name looks like in a header and in a key file's name.
SERVICE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
# internal-<service>.pub, and internal-<service>.next.pub during a rotation.
PUBLIC_KEY_FILE = re.compile(r"internal-(?P<service>[a-z][a-z0-9_-]{0,31})(?:\.next)?\.pub")
RELOAD_SECONDS = 30.0


def private_key_file(directory: Path, service: str) -> Path:
    return directory / f"internal-{service}.pem"


def public_key_file(directory: Path, service: str, *, next_key: bool = False) -> Path:
    return directory / f"internal-{service}{'.next' if next_key else ''}.pub"


def key_id(public_key: Ed25519PublicKey) -> str:
    """The first 8 hex digits of the sha256 of the raw (32-byte) public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A service's private key, with the id of its public half."""

    service: str
    key: Ed25519PrivateKey
    key_id: str

    @classmethod
    def of(cls, service: str, key: Ed25519PrivateKey) -> SigningKey:
        return cls(service=service, key=key, key_id=key_id(key.public_key()))


def message(timestamp: int, method: str, path: str, sender: str, body: bytes) -> bytes:
    """The bytes a v2 signature covers."""
    digest = hashlib.sha256(body).hexdigest()
    return f"v2\n{timestamp}\n{method.upper()}\n{path}\n{sender}\n{digest}".encode()


def sign_v2(
    method: str, path: str, body: bytes, *, key: SigningKey, timestamp: int | None = None
) -> str:
    """Return the v2 signature header value of a call from ``key.service``."""
    t = int(time.time()) if timestamp is None else timestamp
    signature = key.key.sign(message(t, method, path, key.service, body))
    encoded = base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    return f"t={t},s={key.service},k={key.key_id},v2={encoded}"


def _b64decode(value: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


# (service, key id) → the public key
VerifyKeys = Mapping[tuple[str, str], Ed25519PublicKey]


def verify_v2(
    header: str | None,
    method: str,
    path: str,
    body: bytes,
    *,
    keys: VerifyKeys,
    allowed_senders: Collection[str] | None = None,
    tolerance: int = 300,
) -> str | None:
    """Return the sender whose v2 signature ``header`` is, or None when it is not one.

    None when the header is missing, malformed or stale, names a sender not in
    ``allowed_senders`` (None: any), a key id that is not one of that sender's ``keys``, or
    does not sign this method, path, sender and body.
    """
    return _verify_parts(parse(header), method, path, body, keys, allowed_senders, tolerance)


def _verify_parts(
    parts: Mapping[str, list[str]],
    method: str,
    path: str,
    body: bytes,
    keys: VerifyKeys,
    allowed_senders: Collection[str] | None,
    tolerance: int,
) -> str | None:
    if any(len(parts.get(name, ())) != 1 for name in ("s", "k", "v2")):
        return None
    t = _fresh_timestamp(parts, tolerance)
    sender, kid = parts["s"][0], parts["k"][0]
    if t is None or (allowed_senders is not None and sender not in allowed_senders):
        return None
    public_key = keys.get((sender, kid))
    signature = _b64decode(parts["v2"][0])
    if public_key is None or signature is None:
        return None
    try:
        public_key.verify(signature, message(t, method, path, sender, body))
    except InvalidSignature:
        return None
    return sender


# --- key files, read once per process -----------------------------------------------------

_lock = threading.Lock()
_signing_keys: dict[tuple[str, str], tuple[float, SigningKey | None]] = {}
_verify_keys: dict[str, tuple[float, dict[tuple[str, str], Ed25519PublicKey]]] = {}


def load_private_key(path: Path) -> Ed25519PrivateKey | None:
    """The Ed25519 private key in the PEM file at ``path``; None when it is missing."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} does not hold an Ed25519 public key")
    return key


def signing_key(path: Path, service: str) -> SigningKey | None:
    """``service``'s key from ``path``, read once (a missing file is looked for again later)."""
    cache_key = (str(path), service)
    found = _signing_keys.get(cache_key)
    if found is not None and (found[1] is not None or time.monotonic() < found[0]):
        return found[1]
    private = load_private_key(path)
    key = SigningKey.of(service, private) if private is not None else None
    with _lock:
        _signing_keys[cache_key] = (time.monotonic() + RELOAD_SECONDS, key)
    return key


def read_public_keys(directory: Path) -> dict[tuple[str, str], Ed25519PublicKey]:
    """Every ``internal-<service>[.next].pub`` of ``directory``, by (service, key id)."""
    keys: dict[tuple[str, str], Ed25519PublicKey] = {}
    try:
        files = sorted(directory.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return keys
    for file in files:
        match = PUBLIC_KEY_FILE.fullmatch(file.name)
        if match and file.is_file():
            try:
                key = load_public_key(file)
            except ValueError:
                logger.error("internal signatures: %s is not an Ed25519 public key", file)
                continue
            keys[(match["service"], key_id(key))] = key
    return keys


def verify_keys(directory: Path, *, wanted: tuple[str, str] | None = None) -> VerifyKeys:
    """The public keys of ``directory``, read once; read again (at most every
    ``RELOAD_SECONDS``) when ``wanted`` is not among them: a key added for a rotation."""
    name = str(directory)
    found = _verify_keys.get(name)
    if found is not None and not _stale(found, wanted):
        return found[1]
    with _lock:
        found = _verify_keys.get(name)  # another thread may have read it meanwhile
        if found is not None and not _stale(found, wanted):
            return found[1]
        keys = read_public_keys(directory)
        _verify_keys[name] = (time.monotonic(), keys)
    return keys


def _stale(
    found: tuple[float, dict[tuple[str, str], Ed25519PublicKey]], wanted: tuple[str, str] | None
) -> bool:
    loaded_at, keys = found
    return (
        wanted is not None and wanted not in keys and time.monotonic() - loaded_at >= RELOAD_SECONDS
    )


def forget_keys() -> None:
    """Drop every key read so far (tests; a process reads them again on the next call)."""
    with _lock:
        _signing_keys.clear()
        _verify_keys.clear()
