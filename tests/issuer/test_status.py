import itertools
from datetime import UTC, datetime

import pytest
from issuer_standards import load_json

from connector_core.issuer import SigningKey, StatusListError, sign_credential, verify_credential
from connector_core.issuer.status import (
    MIN_BITS,
    StatusList,
    allocate_index,
    decode_list,
    encode_list,
    status_entry,
    status_list_credential,
)

KEY = SigningKey.from_seed(bytes(range(32)))
WHEN = datetime(2024, 1, 1, tzinfo=UTC)
URL = "https://example.edu/status/1"


def test_round_trip_and_minimum_size():
    sl = StatusList()
    sl.set(0)
    sl.set(MIN_BITS - 1)
    again = StatusList.decode(sl.encode())
    assert again.get(0) and again.get(MIN_BITS - 1) and not again.get(1)
    assert len(decode_list(sl.encode())) == 16_384
    assert sl.encode() == StatusList(bits=bytes(sl.bits)).encode()  # deterministic GZIP
    with pytest.raises(StatusListError, match="at least"):
        encode_list(bytes(100))
    with pytest.raises(StatusListError, match="RANGE_ERROR"):
        sl.get(MIN_BITS)


def test_1edtech_list_has_only_bit_23():
    listed = load_json("examples", "ob-v3p0", "signed", "bitstring-status-list-credential.json")
    sl = StatusList.decode(listed["credentialSubject"]["encodedList"])
    assert [i for i in range(sl.size) if sl.get(i)] == [23]


def test_allocator_is_a_non_sequential_permutation():
    seed = b"s" * 32
    first = [allocate_index(seed, n) for n in range(5000)]
    assert len(set(first)) == len(first) and all(0 <= i < MIN_BITS for i in first)
    assert sum(1 for a, b in itertools.pairwise(first) if b == a + 1) < 5
    assert first == [allocate_index(seed, n) for n in range(5000)]
    assert first != [allocate_index(b"t" * 32, n) for n in range(5000)]
    small = sorted(allocate_index(seed, n, size=1024) for n in range(1024))
    assert small == list(range(1024))
    with pytest.raises(StatusListError, match="full"):
        allocate_index(seed, MIN_BITS)


def _issue(index, revoked):
    sl = StatusList()
    if revoked:
        sl.set(index)
    listed = sign_credential(
        status_list_credential(URL, KEY.did_key, sl.encode(), "2024-01-01T00:00:00Z"), KEY, created=WHEN
    )
    doc = load_json("vectors", "ob-v3p0-eddsa-rdfc-2022", "credential.json")
    doc = {
        **doc,
        "issuer": {**doc["issuer"], "id": KEY.did_key},
        "credentialStatus": status_entry(URL, index),
    }
    return sign_credential(doc, KEY, created=WHEN), listed


@pytest.mark.parametrize("revoked", [False, True])
def test_verify_reads_our_own_list(revoked):
    index = allocate_index(b"k" * 32, 7)
    cred, listed = _issue(index, revoked)
    result = verify_credential(cred, status_resolver={URL: listed}.__getitem__)
    status = next(c for c in result.checks if c.name == "status")
    assert status.passed is (not revoked), status.message
    assert result.verified is (not revoked)


def test_tampered_status_list_is_rejected():
    cred, listed = _issue(5, revoked=True)
    forged = {
        **listed,
        "credentialSubject": {**listed["credentialSubject"], "encodedList": StatusList().encode()},
    }
    result = verify_credential(cred, status_resolver={URL: forged}.__getitem__)
    status = next(c for c in result.checks if c.name == "status")
    assert status.passed is False and "STATUS_VERIFICATION_ERROR" in status.message


def test_list_signed_by_another_issuer_is_refused():
    """Anyone can sign an all-clear list for the same URL; only the credential's issuer may speak for it."""
    cred, _ = _issue(5, revoked=True)
    mallory = SigningKey.from_seed(bytes(range(1, 33)))
    forged = sign_credential(
        status_list_credential(URL, mallory.did_key, StatusList().encode(), "2024-01-01T00:00:00Z"),
        mallory,
        created=WHEN,
    )
    assert verify_credential(forged).verified  # the forged list itself carries a valid proof
    result = verify_credential(cred, status_resolver={URL: forged}.__getitem__)
    status = next(c for c in result.checks if c.name == "status")
    assert status.passed is False and "only counts from the credential's own issuer" in status.message
    assert not result.verified


def test_list_for_another_purpose_is_refused():
    cred, _ = _issue(5, revoked=True)
    suspension = sign_credential(
        status_list_credential(URL, KEY.did_key, StatusList().encode(), "2024-01-01T00:00:00Z", purpose="suspension"),
        KEY,
        created=WHEN,
    )
    result = verify_credential(cred, status_resolver={URL: suspension}.__getitem__)
    status = next(c for c in result.checks if c.name == "status")
    assert status.passed is False and "is for suspension, entry asks about revocation" in status.message
