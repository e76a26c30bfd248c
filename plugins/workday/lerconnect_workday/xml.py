"""Reading Workday answers with lxml: texts and reference IDs by element name, unknown elements ignored.

Workday adds optional elements within a version at any time, so nothing here insists on a full
schema; an absent element is `None` (the integration user may simply not see it).
"""

from __future__ import annotations

from lxml import etree

WD = "urn:com.workday/bsvc"
NS = {"wd": WD}


def find(element: etree._Element | None, path: str) -> etree._Element | None:
    """The first element at `path` (`A/B`, names in Workday's namespace), or None."""
    if element is None:
        return None
    return element.find("/".join(f"wd:{step}" for step in path.split("/")), NS)


def findall(element: etree._Element | None, path: str) -> list[etree._Element]:
    if element is None:
        return []
    return element.findall("/".join(f"wd:{step}" for step in path.split("/")), NS)


def text(element: etree._Element | None, path: str) -> str | None:
    found = find(element, path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def ref_id(element: etree._Element | None, path: str, id_type: str) -> str | None:
    """The `wd:ID` of `wd:type="<id_type>"` inside the reference at `path` (WIDs are tenant-local: use business IDs)."""
    reference = find(element, path)
    if reference is None:
        return None
    for child in reference.findall("wd:ID", NS):
        if child.get(f"{{{WD}}}type") == id_type and child.text:
            return child.text.strip()
    return None


def descriptor(element: etree._Element | None, path: str) -> str | None:
    """The reference's `wd:Descriptor` (present when the request asked for descriptors)."""
    reference = find(element, path)
    return reference.get(f"{{{WD}}}Descriptor") if reference is not None else None
