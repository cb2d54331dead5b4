"""RSA keys for the access tokens: development key generation and the JWKS document."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


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
    private_path.write_text(private)
    private_path.chmod(0o600)
    public_path.write_text(public)
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".keys")
    made = ensure_keys(target)
    sys.stdout.write(f"{'made' if made else 'kept'} development JWT keys in {target}\n")
