"""A blank node linked to itself (`_:x <p> _:x`) enters its quad list once, as in rdf-canonize and oxigraph.

pyld lists such a quad twice, which changes the node's first-degree hash and so the labels:
credentials of that shape from other issuers would fail our verification and ours theirs.
Expected outputs were produced by rdf-canonize 5.0 (the JavaScript reference).
"""

import pytest
from pyld import nquads

from connector_core.issuer import canonicalize_reference
from connector_core.issuer.fastpath import Canonicalizer, rdfc10
from connector_core.issuer.jsonld import canonicalize_dataset

CASES = [
    ('_:x <urn:p> _:x .\n_:y <urn:q> "v" .\n', '_:c14n0 <urn:q> "v" .\n_:c14n1 <urn:p> _:c14n1 .\n'),
    (
        '_:x <urn:p> _:x .\n_:x <urn:q> "v" .\n_:y <urn:p> _:z .\n_:y <urn:q> "v" .\n',
        '_:c14n1 <urn:p> _:c14n1 .\n_:c14n1 <urn:q> "v" .\n_:c14n2 <urn:p> _:c14n0 .\n_:c14n2 <urn:q> "v" .\n',
    ),
]


@pytest.mark.parametrize(("given", "expected"), CASES)
def test_plain_path_lists_a_self_loop_once(given, expected):
    assert canonicalize_dataset(nquads.parse_nquads(given)) == expected


@pytest.mark.parametrize(("given", "expected"), CASES)
def test_fast_path_lists_a_self_loop_once(given, expected):
    quads = set()
    for line in given.splitlines():
        s, p, o = line.rstrip(" .").split(" ", 2)
        quads.add((s, p, o, None))
    assert rdfc10(quads) == expected


def test_credential_with_a_self_linked_node_agrees_with_rdf_canonize(loader):
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2", {"same": {"@id": "urn:p", "@type": "@id"}}],
        "id": "urn:uuid:7d3f1a52-0c1e-4a8e-9d5c-3b2f6e1a9c40",
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": [{"id": "_:x", "same": "_:x"}, {"name": "v"}],
    }
    fast = Canonicalizer(loader).canonicalize(doc)
    assert fast == canonicalize_reference(doc, loader)
    assert '_:c14n0 <https://schema.org/name> "v" .\n_:c14n1 <urn:p> _:c14n1 .\n' in fast  # rdf-canonize 5.0
