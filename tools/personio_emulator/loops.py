"""The loop faults: next links that lead back to pages already read, written in the link style the
settings choose (links.py), never as a copy of `self`, so only a reader that knows which pages it has
read can stop.

What a looping link needs to go on rides in the cursor it issues ("m": the loop's kind, "b": the way
back to page A), so the server stays stateless: a page reached through such a cursor plays its part in
the loop whatever the fault's count.
"""
import itertools
from typing import Callable, Optional

from .faults import pick
from .links import base_url, cursor_href, filters_href, first_page_pairs

_nonces = itertools.count(1)


def fresh_nonce() -> int:
    """A number no cursor of this process has carried yet."""
    return next(_nonces)


def next_link(emu, request, stream: str, records: bool, more: bool, last_key, query,
              cursor_for: Callable) -> Optional[str]:
    """The next link a loop makes of this page, or None when no loop plays here."""
    settings = emu.settings
    base, path = base_url(emu), request.path

    def to(cursor: str) -> str:
        return cursor_href(settings, base, path, cursor, query.limit)

    mode, back = query.marks.get("m"), query.marks.get("b")
    if mode == "loop":  # last_page_loops: the page it led back to links to itself
        return to(query.cursor)
    if mode == "repeat":
        return to(cursor_for(query.after, {"m": "repeat", "n": fresh_nonce()}))
    if back is not None:  # next_back's page B: back to A
        return _way_to(settings, base, path, back, query.limit)

    if not records:
        return None  # an empty page with a next link is Personio's own quirk (empty_page_with_next), not a loop
    playable = {"next_repeat", "repeat_forever", "next_back" if more else "last_page_loops"}
    fault = pick(settings.faults, stream, frozenset(playable))
    if fault is None:
        return None
    here = {"c": query.cursor} if query.cursor is not None else {"q": first_page_pairs(request)}
    if fault.kind == "next_repeat":
        return _way_to(settings, base, path, here, query.limit)
    if fault.kind == "next_back":
        return to(cursor_for(last_key, {"b": here}))
    if fault.kind == "last_page_loops":
        return to(cursor_for(query.after, {"m": "loop"}))
    return to(cursor_for(query.after, {"m": "repeat", "n": fresh_nonce()}))


def _way_to(settings, base: str, path: str, way: dict, limit: int) -> str:
    """A link to a page read before: by its cursor, or (a first page) by its filters."""
    if "c" in way:
        return cursor_href(settings, base, path, way["c"], limit)
    return filters_href(base, path, way["q"])
