"""HTML from source systems into the plain text OB 3.0 means by `description` and `name`.

Canvas (and most LMSs) store rich-text fields as HTML; wallets show a credential's text as is, so
raw tags would reach the learner. inscriptis renders HTML the way a browser lays it out (paragraphs,
line breaks, list bullets; scripts and styles dropped, entities decoded), which a regex cannot do.
"""

from __future__ import annotations

from functools import lru_cache

from inscriptis import get_text


@lru_cache(maxsize=4096)  # a campus repeats the same descriptions on every learner's records
def plain_text(html: str | None) -> str | None:
    """The text a reader sees in `html`, blank lines between paragraphs kept, None when empty."""
    if html is None:
        return None
    lines = [line.rstrip() for line in get_text(html).splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):  # at most one blank line in a row
            kept.append(line)
    text = "\n".join(kept).strip()
    return text or None
