"""PeopleSoft Integration Broker errors: `faultstring` is often `null`; the meaning is in `IBResponse`.

`detail/IBResponse/DefaultMessage` ends with the message set and number, `(158,45)`; those pairs,
not the wording, say what went wrong. Known pairs map to the error kinds the engine acts on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from connector_core import SourceAuthError, SourceError, SourcePermissionError, SourceUnavailable

PAIR = re.compile(r"\((\d+),\s*(\d+)\)\s*$")

# (message set, number) -> (kind, what to do). 158,45 is documented (research/peoplesoft.md §2.4);
# the others are the Integration Broker / QAS pairs this plugin recognises, kept in one table so a
# campus seeing another number for the same case adds one line.
KNOWN: dict[tuple[int, int], tuple[type[SourceError], str]] = {
    (158, 45): (
        SourceAuthError,
        "the user name or password was refused: check `username` / `password` (the PeopleSoft OPRID)",
    ),
    (158, 10): (SourceAuthError, "the user has no access to this node: check the node's user and `node`"),
    (158, 12): (
        SourcePermissionError,
        "the user may not run this service operation: add the QAS operations to a permission list of the user",
    ),
    (262, 510): (
        SourcePermissionError,
        "query security refused a record of the query: add every record it reads to the user's query tree "
        "(access groups), or run it as a user who has them",
    ),
    (262, 502): (
        SourceError,
        "no such query for this owner type: check the query `name` and `public` (PUBLIC/PRIVATE) in config",
    ),
    (162, 3): (SourceUnavailable, "the application server timed out: the query will be run in the polling form"),
}
TIMEOUT_WORDS = ("timed out", "timeout")


@dataclass(frozen=True)
class IBError:
    """What an `IBResponse` says."""

    message: str
    message_set: int | None
    number: int | None

    @property
    def kind(self) -> type[SourceError]:
        known = KNOWN.get((self.message_set or 0, self.number or 0))
        if known:
            return known[0]
        if any(word in self.message.lower() for word in TIMEOUT_WORDS):
            return SourceUnavailable
        return SourceError

    def explain(self, where: str) -> str:
        known = KNOWN.get((self.message_set or 0, self.number or 0))
        advice = f": {known[1]}" if known else ""
        return f"{where}: PeopleSoft says {self.message!r}{advice}"


def advised(exc: SourceError, where: str) -> SourceError:
    """`exc` again, its message prefixed with `where` and followed by what to do about a known pair."""
    found = re.search(r"\((\d+),(\d+)\)", str(exc))
    known = KNOWN.get((int(found.group(1)), int(found.group(2)))) if found else None
    advice = f" — {known[1]}" if known else ""
    return type(exc)(f"{where}: {exc}{advice}")


def ib_error(element: etree._Element | None) -> IBError | None:
    """The `IBResponse` in a fault detail (or an XML error body), or None when there is none."""
    if element is None:
        return None
    found = next((e for e in element.iter() if _named(e, "IBResponse")), None)
    if found is None:
        return None
    text = _child_text(found, "DefaultMessage")
    pair = PAIR.search(text)
    return IBError(text, int(pair.group(1)) if pair else None, int(pair.group(2)) if pair else None)


def _child_text(element: etree._Element, name: str) -> str:
    for child in element.iter():
        if _named(child, name):
            return " ".join("".join(child.itertext()).split())
    return ""


def _named(element: etree._Element, name: str) -> bool:
    return isinstance(element.tag, str) and etree.QName(element).localname == name


def ib_error_text(body: bytes) -> IBError | None:
    """An `IBResponse` in an HTTP error body (REST answers errors with one, no envelope)."""
    from connector_core.sandbox import BadEnvelope, parse_xml

    try:
        return ib_error(parse_xml(body))
    except BadEnvelope:
        return None
