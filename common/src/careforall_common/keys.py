"""Keys: the RSA pair of the access tokens (and the JWKS document), and each service's Ed25519
pair for signing internal calls (``careforall_common.signing``).

    python -m careforall_common.keys DIR      # development: all of them in DIR (scripts/lib.sh)
    python -m careforall_common.keys DIR --internal user --public-dir PUB
    python -m careforall_common.keys DIR --no-jwt --internal campaign --public-dir PUB

Without options: the JWT pair and the internal pair of each platform service in DIR. With
``--internal`` only those services' internal pairs, their private keys in DIR and their public
keys in ``--public-dir`` (compose's keys jobs: each service's volume holds its own private key
alone). A file that exists is kept; a public key is written again from its private key.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from careforall_common.signing import load_private_key, private_key_file, public_key_file

# The services that sign internal calls (careforall_common.internal.PLATFORM_SERVICES).
INTERNAL_SERVICES = ("user", "campaign", "pledge", "payment")


def generate_pem_pair() -> tuple[str, str]:
    """Return a new (private, public) RSA-2048 key pair as PEM text."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwk(public_pem: str) -> dict[str, Any]:
    """Return the RFC 7517 JWK of an RSA public key, its ``kid`` the RFC 7638 thumbprint."""
    key = serialization.load_pem_public_key(public_pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    numbers = key.public_numbers()
    members = {"e": _b64(numbers.e), "kty": "RSA", "n": _b64(numbers.n)}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
    return {**members, "kid": kid, "use": "sig", "alg": "RS256"}


def ensure_keys(directory: Path) -> bool:
    """Make ``jwt_private.pem`` and ``jwt_public.pem`` in ``directory`` unless both exist."""
    private_path, public_path = directory / "jwt_private.pem", directory / "jwt_public.pem"
    if private_path.exists() and public_path.exists():
        return False
    directory.mkdir(parents=True, exist_ok=True)
    private, public = generate_pem_pair()
    _write_private(private_path, private)
    public_path.write_text(public)
    return True


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner alone (0600) from the first byte."""
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text)


def public_pem(key: ed25519.Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def private_pem(key: ed25519.Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def generate_internal_pair() -> tuple[str, str]:
    """Return a new (private, public) Ed25519 key pair as PEM text."""
    key = ed25519.Ed25519PrivateKey.generate()
    return private_pem(key), public_pem(key)


def ensure_internal_key(service: str, private_dir: Path, public_dir: Path | None = None) -> bool:
    """Make ``internal-<service>.pem`` (0600) in ``private_dir`` unless it exists, and write
    ``internal-<service>.pub`` into ``public_dir`` (default ``private_dir``) from it.

    Return whether a new pair was made.
    """
    public_dir = private_dir if public_dir is None else public_dir
    private_path = private_key_file(private_dir, service)
    key = load_private_key(private_path)
    made = key is None
    if key is None:
        private_dir.mkdir(parents=True, exist_ok=True)
        key = ed25519.Ed25519PrivateKey.generate()
        _write_private(private_path, private_pem(key))
    public_path = public_key_file(public_dir, service)
    public = public_pem(key)
    if not public_path.exists() or public_path.read_text() != public:
        public_dir.mkdir(parents=True, exist_ok=True)
        public_path.write_text(public)
    return made


TRANSPARENCY_KEY = "transparency.pem"


def ensure_transparency_key(directory: Path) -> bool:
    """Make campaign_service's transparency-log signing key (Ed25519, PEM, 0600) unless it
    exists; return whether one was made. Its public key is served at /api/transparency/key."""
    path = directory / TRANSPARENCY_KEY
    if path.exists():
        return False
    directory.mkdir(parents=True, exist_ok=True)
    _write_private(path, private_pem(ed25519.Ed25519PrivateKey.generate()))
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m careforall_common.keys")
    parser.add_argument("directory", nargs="?", default=".keys", type=Path)
    parser.add_argument(
        "--internal",
        action="append",
        choices=INTERNAL_SERVICES,
        help="only this service's internal pair (repeatable); default: every service's",
    )
    parser.add_argument("--public-dir", type=Path, help="for the internal public keys")
    parser.add_argument("--no-jwt", action="store_true", help="no JWT pair")
    parser.add_argument(
        "--transparency", action="store_true", help="also the transparency log's signing key"
    )
    args = parser.parse_args(argv)
    target: Path = args.directory
    if not args.no_jwt:
        made = ensure_keys(target)
        sys.stdout.write(f"{'made' if made else 'kept'} development JWT keys in {target}\n")
    for service in args.internal or INTERNAL_SERVICES:
        made = ensure_internal_key(service, target, args.public_dir)
        sys.stdout.write(f"{'made' if made else 'kept'} the internal key of {service}\n")
    if args.transparency or not args.internal:
        made = ensure_transparency_key(target)
        sys.stdout.write(f"{'made' if made else 'kept'} the transparency log's key\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
