"""Work limits for JSON-LD canonicalization, so a small hostile document cannot hold a core for minutes.

RDFC-1.0's Hash N-Degree Quads is exponential on symmetric blank-node graphs (a 1.7 KB clique of 9
nodes takes minutes). Like rdf-canonize's `maxWorkFactor` (default 1), the number of N-degree
hashes is capped at (non-unique blank nodes) ** work_factor; the permutations tried are capped as
well, because a large group of already-labelled related nodes permutes without recursing. Size and
nesting are checked before any JSON-LD processing starts. `serve` exposes verification publicly,
so these limits are on by default, on signing and on verifying, on both canonicalization paths.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import CanonicalizationLimitError


@dataclass(frozen=True)
class CanonLimits:
    """Caps on one document. The defaults accept every credential lerconnect issues (CLRs included)."""

    max_bytes: int = 4 * 1024 * 1024
    max_depth: int = 64
    max_work_factor: float = 1
    max_permutations: int = 100_000

    def check_document(self, document: Any) -> None:
        """Refuse a document nested deeper than `max_depth` or larger than `max_bytes` as compact JSON."""
        depth_exceeded = _deeper_than(document, self.max_depth)
        if depth_exceeded:
            raise CanonicalizationLimitError(
                f"document is nested more than {self.max_depth} levels deep; credentials are far shallower, "
                "so it is refused before JSON-LD processing"
            )
        size = len(json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
        if size > self.max_bytes:
            raise CanonicalizationLimitError(
                f"document is {size} bytes as JSON, over the {self.max_bytes}-byte limit for canonicalization; "
                "split it (e.g. several CLRs) or raise CanonLimits.max_bytes deliberately"
            )

    def budget(self, non_unique: int) -> WorkBudget:
        return WorkBudget(self, non_unique)


_SCALARS = (str, int, float, type(None))


def _deeper_than(document: Any, limit: int) -> bool:
    """Whether any value sits deeper than `limit` levels; only containers are walked (scalars end a path)."""
    stack = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, Mapping) else node if isinstance(node, list) else ()
        for child in children:
            if isinstance(child, _SCALARS):  # a cheap test first: the ABC check below is slow
                if depth >= limit:
                    return True
            elif isinstance(child, dict | list | Mapping):
                stack.append((child, depth + 1))
            elif depth >= limit:
                return True
    return False


class WorkBudget:
    """Counts N-degree hashes and permutations of one canonicalization; raises when either cap is hit."""

    __slots__ = ("calls", "max_calls", "max_permutations", "permutations")

    def __init__(self, limits: CanonLimits, non_unique: int) -> None:
        self.max_calls = non_unique**limits.max_work_factor
        self.max_permutations = limits.max_permutations
        self.calls = 0
        self.permutations = 0

    def n_degree(self) -> None:
        self.calls += 1
        if self.calls > self.max_calls:
            raise _refusal(f"its blank nodes need more than {self.max_calls:g} N-degree hashes (rdf-canonize's limit)")

    def permutation(self) -> None:
        self.permutations += 1
        if self.permutations > self.max_permutations:
            raise _refusal(f"its blank nodes need more than {self.max_permutations} permutations")


def _refusal(what: str) -> CanonicalizationLimitError:
    return CanonicalizationLimitError(
        f"canonicalization refused: {what} (RDFC-1.0 work limit). The document's blank nodes are symmetric "
        "(e.g. a clique); give them ids, or raise CanonLimits.max_work_factor deliberately"
    )


DEFAULT_LIMITS = CanonLimits()
