"""A record of the (updated_at, id) index that holds persons and periods, its sort key, and what a credential's
person attribute whitelist leaves of it."""
import json

# Whitelisting never removes these: a credential without any attribute still sees them.
ALWAYS_VISIBLE = ("id", "employments", "_meta")



class Row:
    __slots__ = ("id", "ordinal", "updated_us", "style", "person_id", "noise", "created_us", "fields",
                 "variants")

    def __init__(self, record_id, ordinal, updated_us, style, person_id, noise):
        self.id = record_id
        self.ordinal = ordinal  # seeds a person's lazily drawn content
        self.updated_us = updated_us
        self.style = style  # None renders `Z`; an int renders that offset in minutes
        self.person_id = person_id
        self.noise = noise  # random bits a period's content is derived from
        self.created_us = None
        self.fields = None  # the record as a dict: persons always, periods once edited
        self.variants = None  # cached JSON bytes per person attribute whitelist

    @property
    def key(self) -> str:
        return index_key(self.updated_us, self.id)


def index_key(updated_us: int, record_id: str = "") -> str:
    """The sort key of the (updated_at, id) index, as one string: fixed-width microseconds then
    the id. Strings sort faster than tuples and travel in a cursor as they are; the key of an
    instant alone (empty id) sorts before every record at that instant."""
    return f"{updated_us:020d} {record_id}" if record_id else f"{updated_us:020d}"


def id_of(key: str) -> str:
    return key[21:]


def dumps(record: dict) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()


def whitelisted(record: dict, allowed: frozenset) -> dict:
    out = {}
    for name, value in record.items():
        if name in ALWAYS_VISIBLE or name in allowed:
            out[name] = value
        elif name == "custom_attributes":
            kept = [a for a in value if a.get("id") in allowed]
            if kept:
                out[name] = kept
    return out
