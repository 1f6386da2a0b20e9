"""Opaque page cursors: the list filters plus the position of the last record served.

Standard base64, with a fixed prefix and padding chosen so every cursor holds `+`, `/` and `=`:
a client that does not URL-encode or decode the cursor correctly fails on the first next page.
"""
import base64
import binascii
import json
from typing import Optional

_PREFIX = b"\xfb\xff\xbf"  # encodes to "+/+/"
# What a loop fault leaves in the cursors it issues (loops.py): "m" the loop's kind, "b" the link back.
MARKS = ("m", "b")


def encode(state: dict) -> str:
    raw = _PREFIX + json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    raw += b" " * ((1 - len(raw)) % 3)  # length = 1 mod 3 gives "==" padding; JSON ignores the spaces
    return base64.b64encode(raw).decode("ascii")


def decode(text: str) -> Optional[dict]:
    """The state inside a cursor, or None for anything this emulator did not issue."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
    if not raw.startswith(_PREFIX):
        return None
    try:
        state = json.loads(raw[len(_PREFIX):])
    except ValueError:
        return None
    return state if isinstance(state, dict) else None


def marks(state: dict) -> dict:
    """The loop fault's marks in a cursor's state ({} for an ordinary cursor)."""
    return {name: state[name] for name in MARKS if name in state}
