"""Offline JSON-LD: a pinned-context document loader and RDFC-1.0 canonicalization.

A signature covers the RDF graph, and the graph depends on every context a document names, so
contexts come only from installed packages (hash-pinned) or an operator's directory, never from
the network. `canonicalize_reference` is the plain pyld path that `fastpath` must match byte for
byte.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import types
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pyld import canon, jsonld, nquads

from .errors import CanonicalizationLimitError, ContextIntegrityError, ContextNotAllowed, UnsafeDocumentError
from .jsonnumbers import check_numbers
from .limits import DEFAULT_LIMITS, CanonLimits, WorkBudget

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
ED25519_2020 = "https://w3id.org/security/suites/ed25519-2020/v1"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
CLR_V2 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
ISSUER_DEPENDENT = "https://www.w3.org/ns/credentials/issuer-dependent#"

_OBL = "openbadgeslib.ob3.contexts"
_PYLD = "pyld.documentloader.frozen"

#: URL -> (package, resource path, SHA-256 of the installed bytes). Add a URL here only with a pin.
BUILTIN_CONTEXTS: Mapping[str, tuple[str, str, str]] = {
    VC_V2: (
        _PYLD,
        "bundled/credentials-v2.jsonld",
        "8a9f494a89ecc51db093e90e84713e07e84d6d9204364a9b3c7868b21751236f",
    ),
    # VC 1.1 and the Ed25519Signature2020 suite context: only for wallets' DIDAuth presentations (the
    # Learner Credential Wallet signs those with Ed25519Signature2020). pyld 3.3.0's copies; the first
    # parses to the same JSON as npm credentials-context 2.0.0, the second is byte-identical to npm
    # ed25519-signature-2020-context 1.1.0 (W3C Software and Document License / BSD-3-Clause).
    VC_V1: (
        _PYLD,
        "bundled/credentials-v1.jsonld",
        "00d7dd6d3ad8b920e3e550dd3a3d9090bffcac84cdbf943da6924b3e0a5c8bb8",
    ),
    ED25519_2020: (
        _PYLD,
        "bundled/security-ed25519-2020-v1.jsonld",
        "b9e1ab971fd8bf2c7553e0c4a9438e0b9450afde1ea1ca5b2492368b9f549588",
    ),
    "https://www.w3.org/ns/did/v1": (
        _PYLD,
        "bundled/did-v1.jsonld",
        "62c1054bf404d6dd3a4b26b64f830fd72095f6a26edc4469908c94351352ce5f",
    ),
    DATA_INTEGRITY_V2: (
        _OBL,
        "security-data-integrity-v2.json",
        "67f21e6e33a6c14e5ccfd2fc7865f7474fb71a04af7e94136cb399dfac8ae8f4",
    ),
    "https://w3id.org/security/multikey/v1": (
        _OBL,
        "security-multikey-v1.json",
        "ba2c182de2d92f7e47184bcca8fcf0beaee6d3986c527bf664c195bbc7c58597",
    ),
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": (
        _OBL,
        "ob-v3p0-context-3.0.1.json",
        "5f3d9dd6288ef437ff8286cf95ffbff609c748a66f24a1e9450c45ca64be1571",
    ),
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": (
        _OBL,
        "ob-v3p0-context-3.0.2.json",
        "00666ad080ba407687ed1846b7f5e7495f5019042b202a727de47c48a1755c53",
    ),
    OB_V3: (
        _OBL,
        "ob-v3p0-context-3.0.3.json",
        "3d34f4d4ef1bce691106e63798beb5e7b862ba841423f5ee1e53ab7ddf3bca84",
    ),
    OB_EXTENSIONS: (
        _OBL,
        "ob-v3p0-extensions.json",
        "87c06c81bc2317663bf288d740d94fddd2818c4342b186270ff6371dfaa63f93",
    ),
    CLR_V2: (
        _OBL,
        "clr_context_2.0.1.json",
        "880f1902d4158f2f33ce06af41b90719977cd1ea337a9de2e41edb3ff5e543d6",
    ),
}

_ADD_HINT = (
    "To allow it, put the context file in a contexts folder ([issuer].contexts_dir, `verify --contexts-dir`) "
    'and list it in that folder\'s index.json as {"contexts": {"<url>": {"file": "<name>", "sha256": "<hex>"}}}.'
)


class DocumentLoader:
    """pyld document loader serving pinned contexts only; every other URL is `ContextNotAllowed`.

    `extra_dir` adds operator contexts (index.json maps URL -> file + SHA-256). An extra entry for a
    built-in URL must parse to the same JSON, so it cannot change what built-in contexts mean.
    """

    def __init__(self, extra_dir: str | Path | None = None) -> None:
        self._sources: dict[str, tuple[Any, str]] = {
            url: (resources.files(pkg).joinpath(name), sha) for url, (pkg, name, sha) in BUILTIN_CONTEXTS.items()
        }
        self._docs: dict[str, dict] = {}
        self.extra_dir = Path(extra_dir) if extra_dir is not None else None
        if self.extra_dir is not None:
            self._add_extra(self.extra_dir)

    def _add_extra(self, folder: Path) -> None:
        index = folder / "index.json"
        try:
            entries = json.loads(index.read_text(encoding="utf-8"))["contexts"]
        except (OSError, ValueError, KeyError) as exc:
            raise ContextIntegrityError(
                f"cannot read {index}: {exc}; it must be JSON with a 'contexts' object. {_ADD_HINT}"
            ) from None
        for url, entry in entries.items():
            source = (folder / entry["file"], entry["sha256"])
            if url in self._sources:
                if _read_pinned(url, *source) != self.get(url):
                    raise ContextIntegrityError(
                        f"{index} redefines built-in context {url} with different content; remove that entry"
                    )
                continue
            self._sources[url] = source

    @property
    def urls(self) -> frozenset[str]:
        return frozenset(self._sources)

    def get(self, url: str) -> dict:
        """The parsed context document for `url` (hash-checked on first use)."""
        doc = self._docs.get(url)
        if doc is None:
            if url not in self._sources:
                raise ContextNotAllowed(f"JSON-LD context {url!r} is not on the allowlist. {_ADD_HINT}")
            doc = self._docs[url] = _read_pinned(url, *self._sources[url])
        return doc

    def __call__(self, url: str, options: dict | None = None) -> dict:
        return {"contextUrl": None, "documentUrl": url, "document": self.get(url)}

    def export(self, folder: str | Path) -> Path:
        """Write every served context, byte for byte, plus an index.json of URL -> file + SHA-256: the
        `contexts_dir` format, so another verifier (e.g. a JavaScript one) uses exactly these contexts."""
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        index = {}
        for n, url in enumerate(sorted(self._sources)):
            source, sha256 = self._sources[url]
            self.get(url)  # hash-checks the file
            name = f"context-{n}.jsonld"
            (target / name).write_bytes(source.read_bytes())
            index[url] = {"file": name, "sha256": sha256}
        (target / "index.json").write_text(json.dumps({"contexts": index}, indent=2), encoding="utf-8")
        return target


def _read_pinned(url: str, source: Any, sha256: str) -> dict:
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise ContextIntegrityError(f"context file for {url} is missing ({source}): {exc.strerror}") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise ContextIntegrityError(
            f"context file {source} for {url} has SHA-256 {actual}, pinned {sha256}. A package upgrade changed "
            "it; check the diff and update the pin deliberately, or reinstall the pinned package version"
        )
    return json.loads(data)


_default_loader: DocumentLoader | None = None


def default_loader() -> DocumentLoader:
    global _default_loader
    if _default_loader is None:
        _default_loader = DocumentLoader()
    return _default_loader


# --- canonical N-Quads with RDF 1.2 / RDFC-1.0 literal escaping -----------------------------------

_ECHAR = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"}
_ESCAPES = {c: _ECHAR.get(c, f"\\u{c:04X}") for c in [*range(0x20), 0x22, 0x5C, 0x7F]}


def escape_literal(value: str) -> str:
    """Canonical N-Quads string escaping (pyld leaves C0 controls raw; RDFC-1.0 and JS escape them)."""
    return value.translate(_ESCAPES)


def serialize_quad(quad: dict) -> str:
    """One canonical N-Quads line for a pyld quad dict."""
    s, p, o = quad["subject"], quad["predicate"], quad["object"]
    line = (f"<{s['value']}> " if s["type"] == "IRI" else s["value"] + " ") + f"<{p['value']}> "
    if o["type"] == "IRI":
        line += f"<{o['value']}>"
    elif o["type"] == "blank node":
        line += o["value"]
    else:
        line += '"' + escape_literal(o["value"]) + '"'
        if o["datatype"] == nquads.RDF_LANGSTRING:
            if o.get("language"):
                line += "@" + o["language"]
        elif o["datatype"] != nquads.XSD_STRING:
            line += f"^^<{o['datatype']}>"
    name = quad.get("name")
    if name is not None and name["value"] is not None:
        g = name["value"]
        line += f" {g}" if g.startswith("_:") else f" <{g}>"
    return line + " .\n"


_budget: contextvars.ContextVar[WorkBudget | None] = contextvars.ContextVar("rdfc10_budget", default=None)


def _counted_permutations(elements: list) -> Iterator[list]:
    budget = _budget.get()
    for permutation in canon.permutations(elements):
        if budget is not None:
            budget.permutation()
        yield permutation


def _relink(cls: type) -> type:
    """pyld's URDNA2015 with our serializer and a counted permutation generator, without patching pyld."""
    env = dict(vars(canon), serialize_nquad=serialize_quad, permutations=_counted_permutations)
    methods = {
        name: types.FunctionType(fn.__code__, env, fn.__name__, fn.__defaults__, fn.__closure__)
        for name, fn in vars(cls).items()
        if isinstance(fn, types.FunctionType)
    }
    return type("_PyldRdfc10", (cls,), methods)


class _QuadList(list):
    """A node's quads, each once: `_:x <p> _:x` mentions _:x twice, but RDFC-1.0 (rdf-canonize,
    oxigraph) lists the quad once; pyld appends it per position. A quad's positions are appended
    one after the other, so comparing with the last entry is enough."""

    def append(self, quad: dict) -> None:
        if not self or self[-1] is not quad:
            super().append(quad)


class _BlankNodeInfo(dict):
    def setdefault(self, key: str, default: Any = None) -> dict:
        info = self.get(key)
        if info is None:
            info = self[key] = {"quads": _QuadList()}
        return info


class Rdfc10(_relink(canon.URDNA2015)):  # type: ignore[misc]
    """RDFC-1.0 by pyld, with RDFC-1.0's escaping, one entry per quad and node, and a work limit."""

    def __init__(self, limits: CanonLimits = DEFAULT_LIMITS, hash_algorithm: str = "sha256") -> None:
        super().__init__()
        self.blank_node_info = _BlankNodeInfo()
        self.limits = limits
        self.hash_algorithm = hash_algorithm
        self.budget: WorkBudget | None = None

    def create_hash(self) -> Any:
        return hashlib.new(self.hash_algorithm)

    def hash_n_degree_quads(self, id_: str, issuer: Any) -> dict:
        if self.budget is None:  # first call: step 6, where only non-unique nodes are left
            self.budget = self.limits.budget(sum(len(ids) for ids in self.hash_to_blank_nodes.values()))
        self.budget.n_degree()
        token = _budget.set(self.budget)
        try:
            return super().hash_n_degree_quads(id_, issuer)
        finally:
            _budget.reset(token)


# --- safe mode ------------------------------------------------------------------------------------


def _raise_dropped(term: str | None) -> None:
    raise UnsafeDocumentError(
        f"term {term!r} is not defined by any @context, so JSON-LD would drop it from the signed graph; "
        "define it in a context or remove it"
    )


def check_issuance_terms(document: Mapping) -> None:
    """VC 1.1 date terms are undefined under VC 2.0 (its @vocab would sign them as issuer-dependent)."""
    ctx = document.get("@context")
    first = ctx[0] if isinstance(ctx, list) and ctx else ctx
    if first == VC_V2:
        for old, new in (("issuanceDate", "validFrom"), ("expirationDate", "validUntil")):
            if old in document:
                raise UnsafeDocumentError(f"{old!r} is VC 1.1; under the VC 2.0 context use {new!r}")


def check_expanded(expanded: Any, document: Mapping) -> None:
    """Refuse what toRdf would drop silently: relative ids, types and properties."""
    check_issuance_terms(document)
    _walk(expanded)


def _walk(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item)
        return
    if not isinstance(node, dict):
        return
    if "@value" in node:
        dt = node.get("@type")
        if dt is not None and not _absolute(dt):
            raise UnsafeDocumentError(f"datatype {dt!r} is not an absolute IRI; define it in a context")
        return
    for key, value in node.items():
        if key == "@id":
            if not _absolute(value):
                raise UnsafeDocumentError(f"id {value!r} is relative or undefined; use an absolute URI or define it")
        elif key == "@type":
            for t in value:
                if not _absolute(t):
                    raise UnsafeDocumentError(f"type {t!r} is relative or undefined; use an absolute URI or define it")
        else:
            if not key.startswith("@") and not _absolute(key):
                _raise_dropped(key)
            _walk(value)


def _absolute(iri: str) -> bool:
    return iri.startswith("_:") or jsonld._is_absolute_iri(iri)


# --- reference canonicalization -------------------------------------------------------------------


def rdf_options(loader: DocumentLoader) -> dict:
    return {
        "documentLoader": loader,
        "rdfDirection": "i18n-datatype",
        "produceGeneralizedRdf": False,
        "processingMode": "json-ld-1.1",
        "base": None,
    }


def expand_safe(document: Mapping, loader: DocumentLoader | None = None) -> list:
    """Expand with pyld, raising `UnsafeDocumentError` / `ContextNotAllowed` instead of dropping data."""
    loader = loader or default_loader()
    processor = jsonld.JsonLdProcessor(on_property_dropped=_raise_dropped)
    opts = rdf_options(loader)
    opts["contextResolver"] = jsonld.ContextResolver({}, loader)
    with unwrap_errors():
        expanded = processor.expand(dict(document), opts)
    check_expanded(expanded, document)
    return expanded


def canonicalize_dataset(dataset: dict, limits: CanonLimits = DEFAULT_LIMITS, hash_algorithm: str = "sha256") -> str:
    """RDFC-1.0 canonical N-Quads of a pyld dataset; `CanonicalizationLimitError` past `limits`."""
    return Rdfc10(limits, hash_algorithm).main(dataset, {"format": "application/n-quads"})


def canonicalize_reference(
    document: Mapping, loader: DocumentLoader | None = None, limits: CanonLimits = DEFAULT_LIMITS
) -> str:
    """Canonical N-Quads by the plain pyld path (no caches): the yardstick for the fast path."""
    limits.check_document(document)
    check_numbers(document)
    loader = loader or default_loader()
    expanded = expand_safe(document, loader)
    opts = rdf_options(loader)
    opts["contextResolver"] = jsonld.ContextResolver({}, loader)
    with unwrap_errors():
        dataset = jsonld.JsonLdProcessor().to_rdf(expanded, opts)
    return canonicalize_dataset(dataset, limits)


_OWN_ERRORS = (ContextNotAllowed, ContextIntegrityError, UnsafeDocumentError, CanonicalizationLimitError)


class unwrap_errors:  # noqa: N801 - used as a `with` statement, reads like a function
    """Re-raise our own errors that pyld wrapped in JsonLdError, so callers see the real cause."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        cause = exc
        while cause is not None:
            if isinstance(cause, _OWN_ERRORS):
                raise cause.with_traceback(None) from None
            cause = cause.__cause__ or cause.__context__
        if isinstance(exc, jsonld.JsonLdError):
            raise UnsafeDocumentError(f"JSON-LD processing failed: {_describe(exc)}") from exc
        return False


def _describe(exc: BaseException) -> str:
    parts = []
    while exc is not None:
        details = getattr(exc, "details", None)
        parts.append(f"{exc.args[0] if exc.args else exc}" + (f" {details}" if details else ""))
        exc = exc.__cause__
    return " <- ".join(parts)
