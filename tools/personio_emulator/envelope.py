"""The `_data`/`_meta` envelope around a page, with the page faults and the loop faults applied; every list
endpoint shares it. Links are written as the settings say (links.py)."""
import json

from .injection import finish
from .links import base_url, cursor_href, self_href
from .loops import fresh_nonce, next_link
from .replies import Reply

_RECORD_FAULTS = {"record_without_id", "record_without_updated_at", "record_bad_updated_at"}
_LINK_FAULTS = {"empty_page_with_next", "next_self", "next_foreign"}


def page_reply(emu, request, stream: str, blobs, more: bool, last_key, query, cursor_for, kind) -> Reply:
    """The envelope around a page, with the page and loop faults applied; every list endpoint shares this.
    `query` has the page's `after`, `limit`, `cursor` (as sent) and loop `marks`; `cursor_for(after,
    extra=None)` makes the cursor of the page after `after`."""
    settings = emu.settings
    base, path, limit = base_url(emu), request.path, query.limit
    own = None
    if settings.self_link == "cursor":  # a first page has none: one that leads to it
        own = query.cursor if query.cursor is not None else cursor_for(query.after)
    self_link = self_href(settings, base, request, own)
    next_href = None
    if more:
        next_href = cursor_href(settings, base, path, cursor_for(last_key), limit)
    if kind == "empty_page_with_next":
        # continue where this page should have started, so nothing is lost for a reader that follows
        blobs = []
        next_href = cursor_href(settings, base, path, cursor_for(query.after, {"n": fresh_nonce()}), limit)
    elif kind == "next_self":
        next_href = self_link
    elif kind == "next_foreign":
        foreign = settings.foreign_base_url.rstrip("/")
        next_href = cursor_href(settings, foreign, path, cursor_for(last_key), limit)
    elif kind in _RECORD_FAULTS and blobs:
        blobs = [_broken(blobs[0], kind)] + blobs[1:]
    if kind not in _LINK_FAULTS:
        looped = next_link(emu, request, stream, bool(blobs), more, last_key, query, cursor_for)
        if looped is not None:
            next_href = looped

    links = {"self": {"href": self_link}}
    if next_href is not None:
        links["next"] = {"href": next_href}
    meta = json.dumps({"links": links}, separators=(",", ":")).encode()
    if kind == "data_missing":
        body = b'{"_meta":' + meta + b"}"
    elif kind == "data_not_list":
        body = b'{"_data":{"records":[' + b",".join(blobs) + b']},"_meta":' + meta + b"}"
    else:
        body = b'{"_data":[' + b",".join(blobs) + b'],"_meta":' + meta + b"}"
    return finish(Reply(200, body), kind, settings.fault_hang_seconds)


def _broken(blob: bytes, kind: str) -> bytes:
    record = json.loads(blob)
    if kind == "record_without_id":
        record.pop("id", None)
    elif kind == "record_without_updated_at":
        record.pop("updated_at", None)
    else:
        record["updated_at"] = "31/01/2024 25:61"
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
