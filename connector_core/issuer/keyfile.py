"""Encrypted PKCS#8 key files with a strong work factor: PBES2 + scrypt + AES-256-CBC (RFC 8018, RFC 7914).

`cryptography` reads this standard form but only writes PKCS#8 with PBKDF2 at 2,048 rounds, which
is far below current guidance; so the envelope is built here from its primitives. The scrypt cost
(N=2^14, r=8, p=5) is one of OWASP's equivalent recommendations and keeps memory at 16 MiB, under
OpenSSL's default scrypt limit, so `openssl pkey -in key.pem` can still read the file.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 5
PBES2 = "1.2.840.113549.1.5.13"
SCRYPT = "1.3.6.1.4.1.11591.4.11"
AES_256_CBC = "2.16.840.1.101.3.4.1.42"


def encrypt_pkcs8(private_key_info: bytes, passphrase: bytes) -> bytes:
    """A PEM `ENCRYPTED PRIVATE KEY` holding the DER PKCS#8 `private_key_info`."""
    salt, iv = os.urandom(16), os.urandom(16)
    key = Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(passphrase)
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padder.update(private_key_info) + padder.finalize()) + encryptor.finalize()
    scrypt_params = _seq(_octets(salt), _int(SCRYPT_N), _int(SCRYPT_R), _int(SCRYPT_P), _int(32))
    algorithm = _seq(_oid(PBES2), _seq(_seq(_oid(SCRYPT), scrypt_params), _seq(_oid(AES_256_CBC), _octets(iv))))
    body = base64.encodebytes(_seq(algorithm, _octets(ciphertext))).replace(b"\n", b"")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return b"\n".join([b"-----BEGIN ENCRYPTED PRIVATE KEY-----", *lines, b"-----END ENCRYPTED PRIVATE KEY-----", b""])


# The few DER encodings the envelope needs (definite lengths, non-negative integers).
def _tlv(tag: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + body


def _seq(*parts: bytes) -> bytes:
    return _tlv(0x30, b"".join(parts))


def _octets(value: bytes) -> bytes:
    return _tlv(0x04, value)


def _int(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _oid(dotted: str) -> bytes:
    first, second, *rest = (int(part) for part in dotted.split("."))
    out = bytearray([40 * first + second])
    for arc in rest:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return _tlv(0x06, bytes(out))
