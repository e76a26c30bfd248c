"""Fast JSON-LD → canonical N-Quads for credentials, byte-identical to `canonicalize_reference`.

Why: plain pyld rebuilds every context per document (about half of a signature) and builds
intermediate expanded JSON, node maps and quad dicts. Here:

- contexts are processed by pyld itself, but once per (active context, local context) pair and
  then reused, so term definitions are exactly pyld's;
- the walker mirrors pyld's `_expand`/`_expand_object` (scoped-context revert and propagation
  rules included) but emits N-Quads terms directly;
- `rdfc10` is an RDFC-1.0 implementation over those term tuples.

Anything outside the supported subset (value objects, language maps, @json, @reverse, @nest,
@included, inline @graph, ...) raises `_Unsupported` and the document goes through the reference
path instead, so the output is always the reference output. `Canonicalizer.fallbacks` counts that.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import threading
from collections.abc import Mapping
from typing import Any

from pyld import jsonld
from pyld.jsonld import _canonicalize_double, _is_double, _is_integer
from pyld.jsonld import _is_absolute_iri as _is_absolute_iri_uncached

from .errors import UnsafeDocumentError
from .jsonld import (
    DocumentLoader,
    _raise_dropped,
    canonicalize_reference,
    check_issuance_terms,
    default_loader,
    escape_literal,
    rdf_options,
    unwrap_errors,
)
from .jsonnumbers import check_numbers
from .limits import DEFAULT_LIMITS, CanonLimits, WorkBudget

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
_TYPE, _FIRST, _REST, _NIL = f"<{RDF}type>", f"<{RDF}first>", f"<{RDF}rest>", f"<{RDF}nil>"
_XSD_STRING, _XSD_BOOLEAN, _XSD_DOUBLE, _XSD_INTEGER = (XSD + t for t in ("string", "boolean", "double", "integer"))
_UNSUPPORTED_KEYWORDS = frozenset(
    {
        "@value",
        "@list",
        "@set",
        "@graph",
        "@included",
        "@reverse",
        "@nest",
        "@index",
        "@language",
        "@direction",
        "@json",
        "@context",
        "@none",
    }
)


@functools.lru_cache(maxsize=1 << 12)
def _is_absolute_iri(value: str) -> bool:
    """pyld's check (a regex per call), cached for the same few hundred IRIs every credential uses.

    A bool, not pyld's match object, and a small cache: every credential also brings ids of its own
    that never come again, and 65,536 cached matches held about 20 MB of them through a night."""
    return bool(_is_absolute_iri_uncached(value))


class _Unsupported(Exception):
    """The document uses JSON-LD the fast walker does not implement; use the reference path."""


class Canonicalizer:
    """Canonical N-Quads for JSON-LD documents with per-context caching.

    Thread-safe: `serve` shares one across its request threads. Calls take turns (pyld's context
    resolver and these caches are not safe to share); the work is CPU-bound under the GIL anyway.
    """

    def __init__(self, loader: DocumentLoader | None = None, limits: CanonLimits = DEFAULT_LIMITS) -> None:
        self.loader = loader or default_loader()
        self.limits = limits
        self.fallbacks = 0
        self._proc = jsonld.JsonLdProcessor(on_property_dropped=_raise_dropped)
        self._options = rdf_options(self.loader)
        self._options["contextResolver"] = jsonld.ContextResolver({}, self.loader)
        self._options["isFrame"] = False
        self._initial = self._proc._get_initial_context(self._options)
        self._contexts: dict[tuple, tuple[Any, Any, Any]] = {}
        self._terms: dict[int, tuple[Any, dict]] = {}
        self._turn = threading.RLock()

    def canonicalize(self, document: Mapping) -> str:
        """Canonical N-Quads (RDFC-1.0) of `document`; raises like the reference on unsafe input."""
        with self._turn:
            return self._canonicalize(document)

    def _canonicalize(self, document: Mapping) -> str:
        self.limits.check_document(document)
        check_numbers(document)
        check_issuance_terms(document)
        try:
            with unwrap_errors():
                quads = _Walker(self).document(document)
        except _Unsupported:
            self.fallbacks += 1
            return canonicalize_reference(document, self.loader, self.limits)
        return rdfc10(quads, self.limits)

    # -- cached pyld context processing ------------------------------------------------------------

    def process(
        self, active: Any, local: Any, *, propagate: bool = True, override: bool = False, inline: bool = False
    ) -> Any:
        """pyld `_process_context`, memoized. Contexts from loaded documents are keyed by identity
        (they live as long as the loader); a document's inline contexts by their JSON text."""
        if isinstance(local, str):
            lkey: Any = local
        elif isinstance(local, list) and all(isinstance(x, str) for x in local):
            lkey = tuple(local)
        elif inline:
            lkey = canonical_json_key(local)
        else:
            lkey = id(local)
        key = (id(active), lkey, propagate, override)
        hit = self._contexts.get(key)
        if hit is not None and hit[0] is active and (not isinstance(lkey, int) or hit[1] is local):
            return hit[2]
        result = self._proc._process_context(
            active, local, self._options, override_protected=override, propagate=propagate
        )
        self._contexts[key] = (active, local, result)
        return result

    def term(self, ctx: Any, key: str) -> tuple:
        """(expanded IRI, @type, containers, scoped @context, reverse) of `key` in `ctx`, cached."""
        entry = self._terms.get(id(ctx))
        if entry is None or entry[0] is not ctx:
            entry = self._terms[id(ctx)] = (ctx, {})
        table = entry[1]
        info = table.get(key)
        if info is None:
            iri = self._proc._expand_iri(ctx, key, vocab=True)
            mapping = ctx["mappings"].get(key) or {}
            language = "@language" in ctx or "@language" in mapping or "@direction" in ctx or "@direction" in mapping
            info = table[key] = (
                iri,
                mapping.get("@type"),
                frozenset(mapping.get("@container") or ()),
                mapping.get("@context"),
                bool(mapping.get("reverse")),
                language,
            )
        return info

    def expand_iri(self, ctx: Any, value: str, vocab: bool) -> str | None:
        return self._proc._expand_iri(ctx, value, vocab=vocab, base=None)


class _Walker:
    """One document's walk; mirrors pyld `_expand` + node map + toRdf, emitting quad tuples."""

    def __init__(self, canon: Canonicalizer) -> None:
        self.c = canon
        self.quads: set[tuple[str, str, str, str | None]] = set()
        self.count = 0
        self.labels: dict[str, str] = {}

    def document(self, doc: Mapping) -> set:
        if not isinstance(doc, Mapping):
            raise _Unsupported
        self.element(self.c._initial, None, doc, None)
        return self.quads

    def bnode(self, label: str | None = None) -> str:
        if label is not None:
            known = self.labels.get(label)
            if known is not None:
                return known
        self.count += 1
        node = f"_:b{self.count}"
        if label is not None:
            self.labels[label] = node
        return node

    def iri_term(self, iri: str | None, what: str) -> str:
        if iri is None:
            raise _Unsupported
        if iri.startswith("_:"):
            return self.bnode(iri)
        if not _is_absolute_iri(iri):
            raise UnsafeDocumentError(f"{what} {iri!r} is relative or undefined; use an absolute URI or define it")
        return f"<{iri}>"

    def element(self, ctx: Any, prop: str | None, element: Mapping, graph: str | None) -> str:
        """Expand a node object; returns its subject term. Mirrors pyld `_expand` for objects."""
        c = self.c
        scoped = c.term(ctx, prop)[3] if prop is not None else None
        type_scoped = ctx if ctx.get("previousContext") else None
        revert = True
        if type_scoped is not None and len(element) <= 2 and "@context" not in element:
            for key in sorted(element):
                expanded = c.term(type_scoped, key)[0]
                if expanded == "@value":
                    raise _Unsupported
                if expanded == "@id" and len(element) == 1:
                    revert = False
                    break
        if revert:
            ctx = ctx.get("previousContext") or ctx
        if scoped is not None:
            ctx = c.process(ctx, scoped, override=True)
        if "@context" in element:
            ctx = c.process(ctx, element["@context"], inline=True)
        type_ctx = ctx
        keys = sorted(element)
        for key in keys:
            if c.term(ctx, key)[0] != "@type":
                continue
            value = element[key]
            for t in sorted(t for t in (value if isinstance(value, list) else [value]) if isinstance(t, str)):
                local = c.term(type_ctx, t)[3]
                if local is not None and local is not False:
                    ctx = c.process(ctx, local, propagate=False)

        subject: str | None = None
        types: list[str] = []
        props: list[tuple[str, str, Any]] = []
        for key in keys:
            if key == "@context":
                continue
            iri, _, _, _, _, _ = c.term(ctx, key)
            if iri is None or not (_is_absolute_iri(iri) or iri.startswith("@")):
                _raise_dropped(iri)
            value = element[key]
            if iri == "@id":
                if not isinstance(value, str) or subject is not None:
                    raise _Unsupported
                subject = self.iri_term(c.expand_iri(ctx, value, vocab=False), "id")
            elif iri == "@type":
                for t in value if isinstance(value, list) else [value]:
                    if not isinstance(t, str):
                        raise _Unsupported
                    types.append(self.iri_term(c.expand_iri(type_ctx, t, vocab=True), "type"))
            elif iri.startswith("@"):
                raise _Unsupported
            else:
                props.append((key, iri, value))
        if subject is None:
            subject = self.bnode()
        for t in types:
            self.quads.add((subject, _TYPE, t, graph))
        for key, iri, value in props:
            self.property(ctx, subject, key, iri, value, graph)
        return subject

    def property(self, ctx: Any, subject: str, key: str, iri: str, value: Any, graph: str | None) -> None:
        """One key of a node object. Mirrors pyld `_expand_object` for a non-keyword key."""
        c = self.c
        _, coerce, container, scoped, reverse, _ = c.term(ctx, key)
        if reverse or coerce == "@json" or container & {"@language", "@index", "@id", "@type"}:
            raise _Unsupported
        term_ctx = c.process(ctx, scoped, override=True) if scoped is not None else ctx
        items = value if isinstance(value, list) else [value]
        objects = []
        for item in items:
            if item is None:
                continue
            if isinstance(item, list):
                raise _Unsupported
            objects.append(item)
        pred = f"<{iri}>"
        if "@list" in container:
            if "@graph" in container:
                raise _Unsupported
            terms = [self.value(term_ctx, key, item, graph) for item in objects]
            self.quads.add((subject, pred, self.rdf_list(terms, graph), graph))
            return
        graph_container = "@graph" in container
        for item in objects:
            if graph_container:
                if not isinstance(item, Mapping):
                    raise _Unsupported
                name = self.bnode()
                self.element(term_ctx, key, item, name)
                self.quads.add((subject, pred, name, graph))
            else:
                self.quads.add((subject, pred, self.value(term_ctx, key, item, graph), graph))

    def rdf_list(self, terms: list[str], graph: str | None) -> str:
        if not terms:
            raise _Unsupported  # pyld repeats the `rdf:nil` quad per occurrence; leave that to it
        head = node = self.bnode()
        for i, term in enumerate(terms):
            self.quads.add((node, _FIRST, term, graph))
            rest = self.bnode() if i + 1 < len(terms) else _NIL
            self.quads.add((node, _REST, rest, graph))
            node = rest
        return head

    def value(self, ctx: Any, key: str, item: Any, graph: str | None) -> str:
        """Object term for one value: a nested node or a scalar (pyld `_expand_value` + `_object_to_rdf`)."""
        if isinstance(item, Mapping):
            return self.element(ctx, key, item, graph)
        _, coerce, _, _, _, language = self.c.term(ctx, key)
        if coerce in ("@id", "@vocab") and isinstance(item, str):
            return self.iri_term(self.c.expand_iri(ctx, item, vocab=coerce == "@vocab"), "id")
        datatype = coerce if coerce not in (None, "@id", "@vocab", "@none") else None
        if datatype is None and isinstance(item, str) and language:
            raise _Unsupported
        if isinstance(item, bool):
            text, datatype = ("true" if item else "false"), datatype or _XSD_BOOLEAN
        elif isinstance(item, (int, float)):
            if _is_double(item) or (_is_integer(item) and abs(item) >= 1e21):
                text, datatype = _canonicalize_double(item), datatype or _XSD_DOUBLE
            elif datatype == _XSD_DOUBLE:
                text = _canonicalize_double(float(item))
            else:
                text, datatype = str(int(item)), datatype or _XSD_INTEGER
        elif isinstance(item, str):
            if datatype == _XSD_DOUBLE:
                raise _Unsupported
            text, datatype = item, datatype or _XSD_STRING
        else:
            raise _Unsupported
        if datatype.startswith("_:") or not _is_absolute_iri(datatype):
            raise _Unsupported
        literal = '"' + escape_literal(text) + '"'
        return literal if datatype == _XSD_STRING else f"{literal}^^<{datatype}>"


# --- RDFC-1.0 over (subject, predicate, object, graph) term tuples -------------------------------


def _line(quad: tuple, relabel: Any) -> str:
    s, p, o, g = quad
    if s[0] == "_":
        s = relabel(s)
    if o[0] == "_":
        o = relabel(o)
    if g is None:
        return f"{s} {p} {o} .\n"
    if g[0] == "_":
        g = relabel(g)
    return f"{s} {p} {o} {g} .\n"


class _Issuer:
    __slots__ = ("ids", "order", "prefix")

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.ids: dict[str, str] = {}
        self.order: list[str] = []

    def issue(self, node: str) -> str:
        found = self.ids.get(node)
        if found is None:
            found = self.ids[node] = f"{self.prefix}{len(self.ids)}"
            self.order.append(node)
        return found

    def copy(self) -> _Issuer:
        other = _Issuer(self.prefix)
        other.ids = dict(self.ids)
        other.order = list(self.order)
        return other


class _Rdfc:
    def __init__(self, quads: Any, limits: CanonLimits, hash_algorithm: str) -> None:
        self.quads = list(quads)
        self.mentions: dict[str, list[tuple]] = {}
        for q in self.quads:
            # a quad naming one node twice (`_:x <p> _:x`) is in that node's list once, as in RDFC-1.0
            for term in {t for t in (q[0], q[2], q[3]) if t is not None and t[0] == "_"}:
                self.mentions.setdefault(term, []).append(q)
        self.first: dict[str, str] = {}
        self.canonical = _Issuer("_:c14n")
        self.limits = limits
        self.budget: WorkBudget | None = None
        self.hash_algorithm = hash_algorithm

    def _sha(self, text: str) -> str:
        return hashlib.new(self.hash_algorithm, text.encode("utf-8")).hexdigest()

    def first_degree(self, node: str) -> str:
        found = self.first.get(node)
        if found is None:

            def relabel(term: str) -> str:
                return "_:a" if term == node else "_:z"

            lines = sorted(_line(q, relabel) for q in self.mentions[node])
            found = self.first[node] = self._sha("".join(lines))
        return found

    def related_hash(self, related: str, quad: tuple, issuer: _Issuer, position: str) -> str:
        if related in self.canonical.ids:
            ident = self.canonical.ids[related]
        elif related in issuer.ids:
            ident = issuer.ids[related]
        else:
            ident = self.first_degree(related)
        return self._sha(position + (quad[1] if position != "g" else "") + ident)

    def n_degree(self, node: str, issuer: _Issuer) -> tuple[str, _Issuer]:
        assert self.budget is not None
        self.budget.n_degree()
        related_by_hash: dict[str, list[str]] = {}
        for q in self.mentions[node]:
            for term, position in ((q[0], "s"), (q[2], "o"), (q[3], "g")):
                if term is not None and term[0] == "_" and term != node:
                    related_by_hash.setdefault(self.related_hash(term, q, issuer, position), []).append(term)
        data = []
        for digest, related_nodes in sorted(related_by_hash.items()):
            data.append(digest)
            chosen_path = ""
            chosen_issuer = None
            for permutation in itertools.permutations(sorted(related_nodes)):
                self.budget.permutation()
                trial = issuer.copy()
                path = ""
                recursion = []
                skip = False
                for related in permutation:
                    if related in self.canonical.ids:
                        path += self.canonical.ids[related]
                    else:
                        if related not in trial.ids:
                            recursion.append(related)
                        path += trial.issue(related)
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                for related in recursion:
                    result_hash, trial = self.n_degree(related, trial)
                    path += trial.issue(related) + f"<{result_hash}>"
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path, chosen_issuer = path, trial
            data.append(chosen_path)
            issuer = chosen_issuer
        return self._sha("".join(data)), issuer

    def run(self) -> str:
        by_hash: dict[str, list[str]] = {}
        for node in self.mentions:
            by_hash.setdefault(self.first_degree(node), []).append(node)
        shared = []
        for _, nodes in sorted(by_hash.items()):
            if len(nodes) == 1:
                self.canonical.issue(nodes[0])
            else:
                shared.append(nodes)
        self.budget = self.limits.budget(sum(len(nodes) for nodes in shared))
        for nodes in shared:
            results = []
            for node in nodes:
                if node in self.canonical.ids:
                    continue
                temp = _Issuer("_:b")
                temp.issue(node)
                results.append(self.n_degree(node, temp))
            for _, issuer in sorted(results, key=lambda r: r[0]):
                for existing in issuer.order:
                    self.canonical.issue(existing)
        ids = self.canonical.ids
        return "".join(sorted(_line(q, ids.__getitem__) for q in self.quads))


def rdfc10(quads: Any, limits: CanonLimits = DEFAULT_LIMITS, hash_algorithm: str = "sha256") -> str:
    """RDFC-1.0 canonical N-Quads of a set of (s, p, o, g) tuples in N-Quads term syntax."""
    return _Rdfc(quads, limits, hash_algorithm).run()


def canonical_json_key(value: Any) -> str:
    """Stable cache key for a JSON value (e.g. an inline @context)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


_default: Canonicalizer | None = None


def default_canonicalizer() -> Canonicalizer:
    global _default
    if _default is None:
        _default = Canonicalizer()
    return _default
