"""Server-side paging as real APIs do it: a requested size silently capped, offset or Link paging.

Real systems never say they cut a page short: Canvas clamps `per_page`, Ethos clamps `limit` to
`x-max-page-size`. Clients must advance by the rows they got, and these helpers let every
imitation make them prove it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

from werkzeug.wrappers import Request

T = TypeVar("T")


def capped(raw: str | None, *, default: int, maximum: int) -> int:
    """The page size asked for, or `default` when absent or not a number, silently cut to `maximum`."""
    try:
        asked = int(raw) if raw is not None else default
    except ValueError:
        asked = default
    return max(1, min(asked, maximum))


def whole(raw: str | None, default: int = 0) -> int:
    """A non-negative integer parameter (offset, page number), `default` when absent or malformed."""
    try:
        return max(0, int(raw)) if raw is not None else default
    except ValueError:
        return default


@dataclass(frozen=True)
class OffsetPage:
    """One offset/limit page: its rows and the headers that say how many there are in all."""

    rows: list[Any]
    headers: dict[str, str]


def offset_page(
    request: Request,
    items: Sequence[T],
    *,
    default: int,
    maximum: int,
    offset_param: str = "offset",
    limit_param: str = "limit",
    total_header: str = "x-total-count",
    max_header: str | None = "x-max-page-size",
) -> OffsetPage:
    """`items[offset : offset + min(limit, maximum)]` with the total count (and the cap) as headers."""
    size = capped(request.args.get(limit_param), default=default, maximum=maximum)
    start = whole(request.args.get(offset_param))
    headers = {total_header: str(len(items))}
    if max_header:
        headers[max_header] = str(maximum)
    return OffsetPage(list(items[start : start + size]), headers)


def link_header(links: Mapping[str, str]) -> str:
    """`Link: <url>; rel="next", ...` (RFC 8288) from rel -> url."""
    return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items())


def page_url(request: Request, *, drop: Sequence[str] = ("access_token",), **replace: Any) -> str:
    """This request's URL with some query parameters replaced; credentials in the query are dropped."""
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in replace and k not in drop]
    return f"{request.base_url}?{urlencode([*kept, *replace.items()])}"


@dataclass(frozen=True)
class LinkedPage:
    """One page of a Link-header API: its rows, the rel -> URL links, and the numbers behind them."""

    rows: list[Any]
    links: dict[str, str]
    meta: dict[str, Any] = field(default_factory=dict)


def numbered_page(
    request: Request,
    items: Sequence[T],
    *,
    default: int,
    maximum: int,
    last: bool,
    page_param: str = "page",
    size_param: str = "per_page",
) -> LinkedPage:
    """`?page=N&per_page=M` paging with `current/first/next/prev` links and `last` when `last` is True.

    A page past the end is an empty list, as Canvas answers.
    """
    size = capped(request.args.get(size_param), default=default, maximum=maximum)
    page = max(1, whole(request.args.get(page_param), 1))
    count = max(1, -(-len(items) // size))

    def at(number: int | str) -> str:
        return page_url(request, **{page_param: number, size_param: size})

    links = {"current": at(page), "first": at(1)}
    if page < count:
        links["next"] = at(page + 1)
    if page > 1:
        links["prev"] = at(page - 1)
    if last:
        links["last"] = at(count)
    meta = {
        "per_page": size,
        "page": page,
        "count": len(items),
        "page_count": count,
        "template": at("{page}").replace("%7Bpage%7D", "{page}"),
    }
    return LinkedPage(list(items[(page - 1) * size : page * size]), links, meta)


class BadBookmark(ValueError):
    """A bookmark the server never issued (tampered or truncated)."""


def bookmark(value: Any) -> str:
    """An opaque, URL-safe token for `value` (clients must not read or build it)."""
    return base64.urlsafe_b64encode(json.dumps([value]).encode()).decode().rstrip("=")


def read_bookmark(token: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(token + "==="))[0]
    except (ValueError, binascii.Error, IndexError, TypeError):
        raise BadBookmark(token) from None


def bookmarked_page(
    request: Request,
    items: Sequence[T],
    key: Callable[[T], Any],
    *,
    default: int,
    maximum: int,
    prefix: str = "bookmark:",
    page_param: str = "page",
    size_param: str = "per_page",
) -> LinkedPage:
    """Keyset paging (`?page=bookmark:<opaque>`): rows after the bookmarked key; no page numbers, no `last`.

    `items` must be sorted by `key`. Raises `BadBookmark` for a bookmark this server did not issue.
    """
    size = capped(request.args.get(size_param), default=default, maximum=maximum)
    raw = request.args.get(page_param, "")
    after = read_bookmark(raw.removeprefix(prefix)) if raw.startswith(prefix) else None
    rest = [item for item in items if after is None or key(item) > after]
    rows = rest[:size]

    def at(page: str) -> str:
        return page_url(request, **{page_param: page, size_param: size})

    links = {"current": at(raw or "first"), "first": at("first")}
    if len(rest) > size:
        links["next"] = at(prefix + bookmark(key(rows[-1])))
    return LinkedPage(rows, links, {"bookmarked": after is not None})
