"""Ed25519 signing keys: Multikey encodings, did:key / did:web, encrypted key files.

Proof code talks only to the `Signer` protocol, so a KMS/HSM signer can replace `SigningKey`
without touching proofs. Private material never appears in `repr` or in error messages.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import quote, unquote

import base58
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import KeyFileError, KeyResolutionError
from .keyfile import encrypt_pkcs8

ED25519_PUB_HEADER = b"\xed\x01"
ED25519_PRIV_HEADER = b"\x80\x26"
DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"


@runtime_checkable
class Signer(Protocol):
    """Anything that can sign for a verification method (local key, KMS, HSM)."""

    @property
    def verification_method(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...


def encode_public_multibase(public: bytes) -> str:
    """`z` + base58btc(0xed01 ‖ key): the Multikey form, always `z6Mk…`."""
    if len(public) != 32:
        raise KeyResolutionError(f"Ed25519 public key must be 32 bytes, got {len(public)}")
    return "z" + base58.b58encode(ED25519_PUB_HEADER + public).decode("ascii")


def decode_public_multibase(value: str) -> bytes:
    """Inverse of `encode_public_multibase`; refuses anything but an Ed25519 Multikey."""
    if not isinstance(value, str) or not value.startswith("z"):
        raise KeyResolutionError(f"publicKeyMultibase {value!r} must start with 'z' (base58btc)")
    try:
        raw = base58.b58decode(value[1:])
    except ValueError as exc:
        raise KeyResolutionError(f"publicKeyMultibase {value!r} is not base58btc") from exc
    if raw[:2] != ED25519_PUB_HEADER or len(raw) != 34:
        raise KeyResolutionError(
            f"publicKeyMultibase {value!r} is not an Ed25519 Multikey (expected header 0xed01 + 32 bytes)"
        )
    return raw[2:]


def verify_signature(public: bytes, signature: bytes, data: bytes) -> bool:
    """Pure Ed25519 (RFC 8032) verification; False instead of an exception."""
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


class SigningKey:
    """An Ed25519 key pair. Identified by did:key unless bound to another DID with `bind`."""

    __slots__ = ("_key", "_public")

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self._public = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls.from_seed(secrets.token_bytes(32))

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        if len(seed) != 32:
            raise KeyFileError(f"an Ed25519 seed is 32 bytes, got {len(seed)}")
        return cls(Ed25519PrivateKey.from_private_bytes(bytes(seed)))

    @classmethod
    def from_secret_bytes(cls, secret: bytes) -> SigningKey:
        """64 bytes seed ‖ public (the 1EdTech vector form); the public half must match."""
        if len(secret) != 64:
            raise KeyFileError(f"seed‖public secret is 64 bytes, got {len(secret)}")
        key = cls.from_seed(secret[:32])
        if key._public != secret[32:]:
            raise KeyFileError("the public half of the 64-byte secret does not match its seed")
        return key

    @classmethod
    def from_multibase(cls, value: str) -> SigningKey:
        """`z` + base58btc(0x8026 ‖ seed), also accepting the 64-byte seed‖public variant."""
        if not value.startswith("z"):
            raise KeyFileError("privateKeyMultibase must start with 'z' (base58btc)")
        raw = base58.b58decode(value[1:])
        if raw[:2] != ED25519_PRIV_HEADER:
            raise KeyFileError("privateKeyMultibase is not an Ed25519 secret key (header 0x8026)")
        body = raw[2:]
        if len(body) == 64:
            return cls.from_secret_bytes(body)
        return cls.from_seed(body)

    @property
    def public_bytes(self) -> bytes:
        return self._public

    @property
    def public_key_multibase(self) -> str:
        return encode_public_multibase(self._public)

    @property
    def did_key(self) -> str:
        return "did:key:" + self.public_key_multibase

    @property
    def verification_method(self) -> str:
        return f"{self.did_key}#{self.public_key_multibase}"

    def private_key_multibase(self) -> str:
        """Export the 32-byte seed form; a method, not a property, so it is never shown by accident."""
        seed = self._key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return "z" + base58.b58encode(ED25519_PRIV_HEADER + seed).decode("ascii")

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def bind(self, controller: str) -> BoundKey:
        """Sign as `controller#<multibase>` (e.g. a did:web) instead of as did:key."""
        return BoundKey(self, f"{controller}#{self.public_key_multibase}")

    def save(
        self,
        path: str | os.PathLike[str],
        passphrase: str | bytes | None,
        *,
        insecure_plaintext: bool = False,
    ) -> Path:
        """Write PKCS#8 PEM, encrypted with `passphrase` (scrypt, see keyfile.py), mode 0600, atomically.

        Files written before scrypt (PBKDF2 at 2,048 rounds) still load; `keys rotate` replaces them.
        """
        path = Path(path)
        if not passphrase:
            if not insecure_plaintext:
                raise KeyFileError(
                    f"refusing to write {path} unencrypted: pass a passphrase "
                    "(or insecure_plaintext=True for throw-away test keys only)"
                )
            pem = self._key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        else:
            info = self._key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            pem = encrypt_pkcs8(info, _as_bytes(passphrase))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        os.chmod(path, 0o600)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str], passphrase: str | bytes | None) -> SigningKey:
        """Read a key written by `save`; every failure names the file and the fix."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise KeyFileError(f"cannot read key file {path}: {exc.strerror}; check the path and permissions") from None
        pw = _as_bytes(passphrase) if passphrase else None
        try:
            key = serialization.load_pem_private_key(data, password=pw)
        except TypeError:
            if pw is None:
                msg = f"key file {path} is encrypted: supply its passphrase"
            else:
                msg = f"key file {path} is not encrypted: load it without a passphrase, then save it with one"
            raise KeyFileError(msg) from None
        except (ValueError, UnsupportedAlgorithm):
            raise KeyFileError(
                f"cannot decrypt key file {path}: wrong passphrase or not a PKCS#8 PEM key; "
                "check the configured passphrase (or secret file) for this key"
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFileError(f"key file {path} holds a {type(key).__name__}, not an Ed25519 key")
        return cls(key)

    def __repr__(self) -> str:
        return f"SigningKey({self.public_key_multibase})"


@dataclass(frozen=True, repr=False)
class BoundKey:
    """A `SigningKey` signing for an explicit verification method (did:web, https issuer)."""

    key: SigningKey
    verification_method: str

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data)

    def __repr__(self) -> str:
        return f"BoundKey({self.verification_method})"


def did_web(domain: str, *path: str) -> str:
    """`did:web` for a host (port percent-encoded) and optional path segments."""
    return ":".join(["did:web", quote(domain, safe=""), *(quote(p, safe="") for p in path)])


def did_web_url(did: str) -> str:
    """Where a did:web document is published (https://host/.well-known/did.json or /path/did.json)."""
    parts = did.split(":")
    if parts[:2] != ["did", "web"] or len(parts) < 3:
        raise KeyResolutionError(f"{did!r} is not a did:web identifier")
    host, *path = (unquote(p) for p in parts[2:])
    return f"https://{host}/{'/'.join(path) + '/' if path else '.well-known/'}did.json"


class KeyRing:
    """A DID's current signing key plus retired public keys that must still verify old credentials."""

    def __init__(self, did: str, current: SigningKey, retired: Iterable[str] = ()) -> None:
        self.did = did
        self.current = current
        self.retired = tuple(r for r in retired if r != current.public_key_multibase)
        for r in self.retired:
            decode_public_multibase(r)

    @property
    def signer(self) -> BoundKey:
        return self.current.bind(self.did)

    def rotate(self, new: SigningKey) -> KeyRing:
        """A ring signing with `new`; the old public key stays for verification."""
        return KeyRing(self.did, new, (self.current.public_key_multibase, *self.retired))

    def public_keys(self) -> dict[str, bytes]:
        keys = {self.current.public_key_multibase: self.current.public_bytes}
        keys.update({r: decode_public_multibase(r) for r in self.retired})
        return {f"{self.did}#{mb}": raw for mb, raw in keys.items()}

    def did_document(self) -> dict:
        """The DID document to publish; retired keys stay listed under assertionMethod."""
        ids = list(self.public_keys())
        return {
            "@context": [DID_V1, MULTIKEY_V1],
            "id": self.did,
            "verificationMethod": [
                {
                    "id": vm,
                    "type": "Multikey",
                    "controller": self.did,
                    "publicKeyMultibase": vm.split("#", 1)[1],
                }
                for vm in ids
            ],
            "assertionMethod": ids,
            "authentication": ids[:1],
        }

    def resolve(self, verification_method: str) -> bytes:
        """Key resolver for verification: the public key of one of this ring's methods."""
        try:
            return self.public_keys()[verification_method]
        except KeyError:
            raise KeyResolutionError(
                f"{verification_method} is not a key of {self.did}; known: {', '.join(self.public_keys())}"
            ) from None

    def __repr__(self) -> str:
        return f"KeyRing({self.did}, current={self.current.public_key_multibase}, retired={len(self.retired)})"


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value
