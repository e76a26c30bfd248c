"""JSON numbers every JSON-LD engine canonicalizes alike, and a check that refuses the others.

A signature covers canonical N-Quads, so a number must give the same literal in Python (pyld) and in
the JavaScript stack most wallets use (jsonld.js). jsonld.js decides integer vs double from the
number's JavaScript string form, so a double below 1e-6 with one significant digit (`5e-7`, printed
without a ".") becomes `"0"^^xsd:integer` there and `"5.0E-7"^^xsd:double` here; and an integer
beyond 2**53 loses digits in JavaScript. Measured against jsonld 9 (tests/interop); credits and
the like stay well inside.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .errors import UnsafeDocumentError

MAX_SAFE_INTEGER = 2**53 - 1
MIN_SAFE_FRACTION = 1e-6


def interop_safe(value: int | float) -> bool:
    """True when `value` canonicalizes to the same literal in pyld and jsonld.js."""
    if isinstance(value, int):
        return abs(value) <= MAX_SAFE_INTEGER
    if not math.isfinite(value) or (value == 0 and math.copysign(1, value) < 0):
        return False
    if value.is_integer():  # both print an integer below 1e21 and a double from there on
        return abs(value) <= MAX_SAFE_INTEGER or abs(value) >= 1e21
    # jsonld.js: a double is one whose JavaScript string has a "." (types.isDouble); below 1e-6 that
    # string is exponential, so `5e-7` reads as an integer there. Python's repr has the same digits.
    return abs(value) >= MIN_SAFE_FRACTION or "." in repr(value)


def _unsafe_number(document: Any) -> bool:
    """Whether any number in `document` is unsafe: one cheap pass, no paths (most documents pass)."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            continue
        if isinstance(node, Mapping):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, (int, float)) and not isinstance(node, bool) and not interop_safe(node):
            return True
    return False


def check_numbers(document: Any) -> None:
    """Raise `UnsafeDocumentError` naming the first number whose canonical form differs between engines."""
    if not _unsafe_number(document):
        return
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, Mapping):
            stack.extend((v, f"{path}/{k}") for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, f"{path}/{i}") for i, v in enumerate(node))
        elif isinstance(node, (int, float)) and not isinstance(node, bool) and not interop_safe(node):
            raise UnsafeDocumentError(
                f"number {node!r} at {path or '/'} canonicalizes differently in JavaScript JSON-LD (jsonld.js) "
                f"than here, so wallets would reject the signature; use an integer within ±{MAX_SAFE_INTEGER}, "
                f"a decimal of magnitude at least {MIN_SAFE_FRACTION:g} (e.g. round it), or a string"
            )
