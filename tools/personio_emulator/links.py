"""How a page's links are written, as the settings choose, and how a cursor written raw is read back.

Servers that look like Personio differ here: `self` may echo the request as sent or carry the page's
cursor alone; `next` may carry the cursor alone (Personio's live shape), or `limit` too, in either order;
the cursor may be percent-encoded or raw; links may be absolute or relative. A reader must not depend
on any of it, so every test can pick each one.
"""
from typing import Dict, List, Optional, Sequence, Tuple
from urllib.parse import parse_qsl, quote

SELF_LINKS = ("echo", "cursor")  # the request's path and query as sent, or the page's cursor alone
NEXT_LINKS = ("cursor", "cursor_limit", "limit_cursor")
CURSOR_ESCAPES = ("percent", "raw")  # %2B %2F %3D, or + / = as they are


def base_url(emu) -> str:
    return "" if emu.settings.relative_next_links else emu.url


def escape_cursor(cursor: str, escaping: str) -> str:
    if escaping == "raw":
        return cursor
    # a cursor is base64: only + / = need escaping, and str.replace is far cheaper than quote()
    return cursor.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")


def cursor_href(settings, base: str, path: str, cursor: str, limit: int) -> str:
    """A next link to the page `cursor` names, in the settings' next-link writing."""
    escaped = "cursor=" + escape_cursor(cursor, settings.link_cursor_escaping)
    if settings.next_link == "cursor_limit":
        return f"{base}{path}?{escaped}&limit={limit}"
    if settings.next_link == "limit_cursor":
        return f"{base}{path}?limit={limit}&{escaped}"
    return f"{base}{path}?{escaped}"


def filters_href(base: str, path: str, pairs: Sequence[Sequence[str]]) -> str:
    """A link that names a window's first page by its filters, in the order given."""
    query = "&".join(f"{quote(name, safe='')}={quote(value, safe=':,')}" for name, value in pairs)
    return f"{base}{path}" + (f"?{query}" if query else "")


def self_href(settings, base: str, request, own_cursor: Optional[str]) -> str:
    """The request as sent, or the cursor of this page alone (`own_cursor`: the request's, or for a first
    page one that leads to it)."""
    if settings.self_link == "cursor":
        return f"{base}{request.path}?cursor={escape_cursor(own_cursor, settings.link_cursor_escaping)}"
    return base + request.path + ("?" + request.raw_query if request.raw_query else "")


def query_of(request, settings) -> Dict[str, List[str]]:
    """The request's parameters. A raw `+` in a cursor arrives as a space (form decoding); base64 has no
    spaces, so with raw links the space is read back as `+`. With percent-encoded links it is not: a
    client that unescapes the cursor and sends it raw then fails, as it would on Personio."""
    query = request.query
    if settings.link_cursor_escaping == "raw" and "cursor" in query:
        query = dict(query, cursor=[value.replace(" ", "+") for value in query["cursor"]])
    return query


def first_page_pairs(request) -> List[Tuple[str, str]]:
    """A first page's filters as sent, in reverse order and without `limit`: another link to the same page."""
    pairs = [(k, v) for k, v in parse_qsl(request.raw_query, keep_blank_values=True) if k not in ("limit", "cursor")]
    return pairs[::-1]


def request_cursor(query: Dict[str, List[str]]) -> Optional[str]:
    values = query.get("cursor")
    return values[0] if values else None
