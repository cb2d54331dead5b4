"""Signed checkpoints of the transparency logs (SPEC §3 "Transparency log"): a C2SP
``tlog-checkpoint`` body in a C2SP ``signed-note``, signed with Ed25519.

The body is four lines, each ending in a newline: the origin ``<public host>/campaigns/<id>``,
the tree size, the base64 root hash, and one extension line ``total <sum> <currency>``. A signed
note is the body, an empty line and one line per signature: ``— <key name> base64(key ID ‖
signature)``. The key ID is ``SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]`` and the verifier
key string ``<key name>+<key ID hex>+base64(0x01 ‖ public key)`` (c2sp.org/signed-note).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)

ALGORITHM_ED25519 = b"\x01"
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 100  # as golang.org/x/mod/sumdb/note; c2sp.org/signed-note asks for at least 16
_HASH_SIZE = 32
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SIZE = re.compile(r"0|[1-9][0-9]*")
_TOTAL = re.compile(r"total (0|-?[1-9][0-9]*) ([a-z]{3})")
_CURRENCY = re.compile(r"[a-z]{3}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")  # every ASCII control but the newline


class NoteError(ValueError):
    """A note, checkpoint or key that is malformed, or a note the expected key did not sign."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes
    total: int
    currency: str


# Names


def origin_host(public_base_url: str) -> str:
    """Return the host of a base URL as origins name it: lowercase, with its port unless default
    (``http://LocalHost:8080/`` → ``localhost:8080``)."""
    parts = urlsplit(public_base_url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"not an http(s) URL with a host: {public_base_url!r}")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = parts.port
    return host if port in (None, _DEFAULT_PORTS[parts.scheme]) else f"{host}:{port}"


def checkpoint_origin(public_base_url: str, campaign_id: int) -> str:
    """Return the origin line of a campaign's log: ``<public host>/campaigns/<id>``."""
    return f"{origin_host(public_base_url)}/campaigns/{campaign_id}"


def key_name(public_base_url: str) -> str:
    """Return the name of the platform's transparency key: ``<public host>/campaigns``, the
    prefix of every log's origin (one key signs every campaign's log)."""
    return f"{origin_host(public_base_url)}/campaigns"


# Checkpoints


def checkpoint_text(
    *, origin: str, tree_size: int, root_hash: bytes, total: int, currency: str
) -> str:
    """Return the checkpoint body (the text a note signs)."""
    if not origin or not origin.isprintable() or " " in origin:
        raise ValueError("an origin is non-empty printable text without spaces")
    if tree_size < 0 or len(root_hash) != _HASH_SIZE or not _CURRENCY.fullmatch(currency):
        raise ValueError("a tree size >= 0, a 32-byte root hash and a lowercase currency")
    encoded = base64.b64encode(root_hash).decode("ascii")
    return f"{origin}\n{tree_size}\n{encoded}\ntotal {total} {currency}\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint body, refusing any other form than ``checkpoint_text`` writes."""
    lines = text.split("\n")
    if len(lines) != 5 or lines[4] != "":
        raise NoteError("a checkpoint is four lines, each ending in a newline")
    origin, size, encoded, extension = lines[:4]
    if not origin or not origin.isprintable() or " " in origin:
        raise NoteError("the checkpoint's origin is empty or not printable")
    if not _SIZE.fullmatch(size):
        raise NoteError(f"the checkpoint's tree size {size!r} is not a decimal number")
    root_hash = _base64_decode(encoded)
    if len(root_hash) != _HASH_SIZE or base64.b64encode(root_hash).decode() != encoded:
        raise NoteError("the checkpoint's root hash is not the base64 of 32 bytes")
    total = _TOTAL.fullmatch(extension)
    if not total:
        raise NoteError(f"the checkpoint's extension line {extension!r} is not 'total <n> <cur>'")
    return Checkpoint(origin, int(size), root_hash, int(total[1]), total[2])


# Keys


def key_id(name: str, public_key: bytes) -> bytes:
    """Return the 4-byte key ID of an Ed25519 public key (32 raw bytes) under a name."""
    return hashlib.sha256(name.encode() + b"\n" + ALGORITHM_ED25519 + public_key).digest()[:4]


def verifier_key_string(name: str, public_key: Ed25519PublicKey) -> str:
    """Return the note verifier key string ``name+hash+base64(0x01 ‖ key)``."""
    _check_name(name)
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    encoded = base64.b64encode(ALGORITHM_ED25519 + raw).decode("ascii")
    return f"{name}+{key_id(name, raw).hex()}+{encoded}"


def verifier_key_parse(verifier_key: str) -> tuple[str, bytes, Ed25519PublicKey]:
    """Return the name, key ID and public key of a verifier key string."""
    parts = verifier_key.split("+", 2)  # the base64 key may itself hold '+'
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-fA-F]{8}", parts[1]):
        raise NoteError("a verifier key is <name>+<8 hex digits>+<base64 key>")
    name, hash_hex, encoded = parts
    _check_name(name)
    key = _base64_decode(encoded)
    if len(key) != 33 or key[:1] != ALGORITHM_ED25519:
        raise NoteError("the verifier key is not an Ed25519 key")
    if key_id(name, key[1:]) != bytes.fromhex(hash_hex):
        raise NoteError("the verifier key's hash does not match its name and key")
    return name, bytes.fromhex(hash_hex), Ed25519PublicKey.from_public_bytes(key[1:])


def private_key_load(path: str | Path) -> Ed25519PrivateKey:
    """Load an Ed25519 private key from a PEM (PKCS #8) file or a file of the raw 32-byte seed."""
    data = Path(path).read_bytes()
    if data.lstrip().startswith(b"-----BEGIN"):
        key = load_pem_private_key(data, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} holds a private key that is not Ed25519")
        return key
    if len(data) != 32:
        raise ValueError(f"{path} is neither a PEM private key nor a 32-byte Ed25519 seed")
    return Ed25519PrivateKey.from_private_bytes(data)


# Signed notes


def note_sign(text: str, private_key: Ed25519PrivateKey, name: str) -> str:
    """Return the signed note of ``text`` with one Ed25519 signature by the key named ``name``."""
    if not text.endswith("\n"):
        raise ValueError("a note's text ends in a newline")
    _check_note_characters(text)
    return text + "\n" + _signature_line(text, private_key, name)


def note_add_signature(note: str, private_key: Ed25519PrivateKey, name: str) -> str:
    """Return the note with one more signature over its text (e.g. by the next key while the key
    is rotated); the signatures already there are kept, not checked."""
    text, _ = _note_split(note)
    return note + _signature_line(text, private_key, name)


def note_open(note: str, verifier_key: str) -> str:
    """Return the text of the note once its signature by ``verifier_key`` verifies.

    As golang.org/x/mod/sumdb/note's ``Open``: signatures by other keys are ignored; a
    signature by this key that fails, or none by it, raises ``NoteError``.
    """
    name, hash_, public_key = verifier_key_parse(verifier_key)
    text, signature_lines = _note_split(note)
    verified = False
    for line in signature_lines:
        line_name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        signature = _base64_decode(encoded)
        if not _valid_name(line_name) or len(signature) < 5:
            raise NoteError("a malformed signature line")
        if line_name != name or signature[:4] != hash_:
            continue
        try:
            public_key.verify(signature[4:], text.encode())
        except InvalidSignature:
            raise NoteError(f"invalid signature for key {name}+{hash_.hex()}") from None
        verified = True
    if not verified:
        raise NoteError(f"the note has no signature by key {name}+{hash_.hex()}")
    return text


def note_verify(note: str, verifier_key: str) -> Checkpoint:
    """Return the checkpoint a note signed by ``verifier_key`` carries; ``NoteError`` if the
    signature does not verify or the text is not a checkpoint."""
    return parse_checkpoint(note_open(note, verifier_key))


def _signature_line(text: str, private_key: Ed25519PrivateKey, name: str) -> str:
    _check_name(name)
    raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    signature = key_id(name, raw) + private_key.sign(text.encode())
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(signature).decode('ascii')}\n"


def _note_split(note: str) -> tuple[str, list[str]]:
    _check_note_characters(note)
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n") or split + 2 == len(note):
        raise NoteError("a signed note is text, an empty line and signature lines")
    lines = note[split + 2 : -1].split("\n")
    if len(lines) > MAX_SIGNATURES or not all(x.startswith(SIGNATURE_PREFIX) for x in lines):
        raise NoteError("a signed note ends in at most 100 lines '— <name> <signature>'")
    return note[: split + 1], lines


def _check_note_characters(text: str) -> None:
    if _CONTROL.search(text):
        raise NoteError("a note holds no control characters but newlines")
    try:
        text.encode()
    except UnicodeEncodeError:
        raise NoteError("a note is valid UTF-8") from None


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def _check_name(name: str) -> None:
    if not _valid_name(name):
        raise NoteError(f"a key name is non-empty, without spaces or '+': {name!r}")


def _base64_decode(encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError("not standard base64") from None
