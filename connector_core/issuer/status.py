"""W3C Bitstring Status List v1.0: encode/decode lists, build list credentials and entries, allocate
indexes, read a credential's status.

Indexes come from a keyed permutation of [0, size): consecutive counters give unrelated, never
repeated positions (herd privacy), and the store only has to persist the counter.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import StatusListError
from .jsonld import VC_V2

MIN_BITS = 131_072  # 16 KB uncompressed: the spec minimum, for herd privacy
ENTRY_TYPE = "BitstringStatusListEntry"
LIST_TYPE = "BitstringStatusList"
LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
_ROUNDS = 8


def encode_list(bits: bytes | bytearray) -> str:
    """Multibase base64url (`u`, no padding) of the GZIP-compressed bitstring; deterministic (mtime=0)."""
    if len(bits) * 8 < MIN_BITS:
        raise StatusListError(f"a status list needs at least {MIN_BITS} bits; got {len(bits) * 8}")
    packed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def decode_list(encoded: str, *, status_size: int = 1) -> bytes:
    """Inverse of `encode_list`; STATUS_LIST_LENGTH_ERROR when shorter than the spec minimum."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise StatusListError("encodedList must be multibase base64url (start with 'u')")
    body = encoded[1:]
    try:
        bits = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, OSError, EOFError) as exc:
        raise StatusListError(f"encodedList is not base64url-encoded GZIP: {exc}") from None
    if len(bits) * 8 < MIN_BITS // status_size * status_size:
        raise StatusListError(f"STATUS_LIST_LENGTH_ERROR: list has {len(bits) * 8} bits, minimum is {MIN_BITS}")
    return bits


def read_status(bits: bytes, index: int, status_size: int = 1) -> int:
    """Status value at `index` (bit 0 is the most significant bit of byte 0)."""
    start = index * status_size
    if index < 0 or start + status_size > len(bits) * 8:
        raise StatusListError(f"RANGE_ERROR: index {index} is outside a list of {len(bits) * 8 // status_size}")
    value = 0
    for bit in range(start, start + status_size):
        value = (value << 1) | (bits[bit // 8] >> (7 - bit % 8) & 1)
    return value


class StatusList:
    """A mutable 1-bit-per-entry list (revocation or suspension)."""

    def __init__(self, size: int = MIN_BITS, bits: bytes | None = None) -> None:
        if size < MIN_BITS or size % 8:
            raise StatusListError(f"size must be a multiple of 8 and at least {MIN_BITS}; got {size}")
        self.bits = bytearray(bits) if bits is not None else bytearray(size // 8)
        self.size = len(self.bits) * 8

    @classmethod
    def decode(cls, encoded: str) -> StatusList:
        bits = decode_list(encoded)
        return cls(len(bits) * 8, bits)

    def set(self, index: int, value: bool = True) -> None:
        read_status(self.bits, index)
        mask = 1 << (7 - index % 8)
        self.bits[index // 8] = self.bits[index // 8] | mask if value else self.bits[index // 8] & ~mask

    def get(self, index: int) -> bool:
        return bool(read_status(self.bits, index))

    def encode(self) -> str:
        return encode_list(self.bits)


def allocate_index(seed: bytes, counter: int, size: int = MIN_BITS) -> int:
    """The `counter`-th index of a keyed permutation of [0, size): a Feistel network with cycle walking.

    Pure: the same (seed, counter, size) always gives the same index; distinct counters never collide.
    """
    if len(seed) < 16:
        raise StatusListError("the allocator seed must be at least 16 random bytes")
    if not 0 <= counter < size:
        raise StatusListError(f"status list is full: counter {counter} is not below its size {size}; start a new list")
    half = max(1, ((size - 1).bit_length() + 1) // 2)
    mask = (1 << half) - 1
    value = counter
    while True:
        left, right = value >> half, value & mask
        for r in range(_ROUNDS):
            digest = hmac.new(seed, f"{size}:{r}:{right}".encode(), hashlib.sha256).digest()
            left, right = right, left ^ (int.from_bytes(digest[:8], "big") & mask)
        value = (left << half) | right
        if value < size:
            return value


def list_path(status_dir: Path, base_url: str, list_url: str) -> Path:
    """Where the list at `list_url` lives under `status_dir`: exactly the URL's path below `base_url`,
    so a static web server serving `status_dir` at `base_url` answers every credential's URL."""
    base = base_url.rstrip("/") + "/"
    if not list_url.startswith(base):
        raise StatusListError(f"status list {list_url} is not under status_base_url {base_url}")
    relative = list_url[len(base) :]
    parts = relative.split("/")
    if not relative or any(p in ("", ".", "..") for p in parts) or "?" in relative or "#" in relative:
        raise StatusListError(f"status list URL {list_url} does not name a file below {base_url}")
    return status_dir.joinpath(*parts)


def status_entry(list_url: str, index: int, purpose: str = "revocation") -> dict:
    """The `credentialStatus` object pointing at one index of a list."""
    return {
        "id": f"{list_url}#{index}",
        "type": ENTRY_TYPE,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def status_list_credential(
    list_url: str,
    issuer: Any,
    encoded_list: str,
    valid_from: str,
    purpose: str = "revocation",
    ttl_ms: int | None = None,
) -> dict:
    """The unsigned BitstringStatusListCredential; sign it like any credential."""
    subject: dict[str, Any] = {
        "id": f"{list_url}#list",
        "type": LIST_TYPE,
        "statusPurpose": purpose,
        "encodedList": encoded_list,
    }
    if ttl_ms is not None:
        subject["ttl"] = ttl_ms
    return {
        "@context": [VC_V2],
        "id": list_url,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": subject,
    }


@dataclass(frozen=True)
class EntryStatus:
    """What one entry says: `value` 0 means the purpose does not apply (not revoked, not suspended)."""

    purpose: str
    index: int
    value: int


def entry_status(entry: Mapping, list_credential: Mapping) -> EntryStatus:
    """Read an entry's status from an already verified list credential."""
    try:
        index = int(entry["statusListIndex"])
        purpose = entry["statusPurpose"]
        size = int(entry.get("statusSize", 1))
    except (KeyError, TypeError, ValueError) as exc:
        raise StatusListError(
            f"malformed {ENTRY_TYPE}: {exc!r}; needs statusPurpose and a decimal statusListIndex"
        ) from None
    subject = list_credential.get("credentialSubject") or {}
    purposes = subject.get("statusPurpose")
    if purpose not in (purposes if isinstance(purposes, list) else [purposes]):
        raise StatusListError(
            f"STATUS_VERIFICATION_ERROR: list {list_credential.get('id')} is for {purposes}, entry asks about {purpose}"
        )
    bits = decode_list(subject.get("encodedList"), status_size=size)
    return EntryStatus(purpose, index, read_status(bits, index, size))
