"""Guards each window's pagination: no page read twice, no endless loop, one refused request per stream.

Why this is Python and not manifest: a loop can only be seen by remembering what a window has read (every cursor
it followed, every record key it delivered), and a declarative paginator remembers nothing beyond the page at
hand. The manifest alone catches the shape it can see on one page (a next link naming that page's own cursor);
the installed command and the Docker image install this guard on top of it.

What it does, per window (one CDK partition: a time window, a parent, a month):
- Before a next link is followed, its page identity (the cursor after percent-decoding, whatever else the link
  says: host, `limit`, parameter order, `%2B` or `+`; for a link without a cursor, its path and every parameter
  but `limit`) is compared with every page the window has requested. A repeat fails the window loudly: A -> B -> A
  is caught before A is asked again.
- A page whose records were all delivered already by this window, under a cursor never seen before, is a loop that
  mints new cursors: the window fails loudly too, without emitting the repeats. This bounds any window to the pages
  that bring at least one new record.
- A stream that Personio refuses (403 scope, 404 module, 412 legal entities, a token refused for its scope) is asked
  once: the first window of each stream goes alone until its first answer, and a refusal then fails every other
  window of the stream with the same message and no request.
A failed window keeps the state of every finished window; the next sync reads it again.

CDK internals relied on (pinned by unit_tests/cdk_internals/test_pagination_guard_hooks.py, and for the factory
hook by test_factory_hooks.py): the source's component factory (`ConcurrentDeclarativeSource._constructor`) builds
retrievers with `create_simple_retriever`;
`SimpleRetriever._read_pages(records_generator_fn, stream_slice)` reads one partition's pages in one thread, calling
`records_generator_fn(response)` once per page and `self._next_page_token(..., stream_slice=stream_slice)` with the
same slice object; one retriever serves every partition of a stream; the paginator's token is
`{"next_page_token": <path and query>}`.
"""
import json
import threading
from typing import Any, Callable, Dict, Hashable, Iterable, Iterator, List, Mapping, Optional, Set, Tuple
from urllib.parse import unquote, urlsplit

from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.models.declarative_component_schema import SimpleRetriever as SimpleRetrieverModel
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.declarative.retrievers.simple_retriever import SimpleRetriever
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_personio.factory_hooks import hook

LINK_SHOWN_CHARS = 300  # a cursor can be long; the start of the link is enough to recognise it

REPEATED_LINK = (
    "Personio's next link for {stream} leads back to a page already read in this window ({link}). Following it "
    "would loop forever and stopping would skip the rest of the window, so the sync stops; the state keeps every "
    "finished window. Run it again, and report it to Personio if it persists."
)
REPEATED_RECORDS = (
    "Personio's page for {stream} at {link} holds only records already read in this window ({count} of them): its "
    "next links go round in a loop under new cursors. Following them would loop forever and stopping would skip the "
    "rest of the window, so the sync stops; the state keeps every finished window. Run it again, and report it to "
    "Personio if it persists."
)


def page_identity(url: str) -> Tuple[Hashable, ...]:
    """What names a page: its cursor when the link has one, else its path and parameters without `limit`.

    Query values are percent-decoded without turning `+` into a space: Personio's cursors hold a literal `+`, and
    `%2B` and `+` in two links name the same cursor.
    """
    parts = urlsplit(url)
    params: List[Tuple[str, str]] = []
    for pair in parts.query.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            params.append((unquote(name), unquote(value)))
    cursors = [value for name, value in params if name == "cursor"]
    if cursors:
        return ("cursor", cursors[0])
    return ("query", unquote(parts.path).rstrip("/"), tuple(sorted(p for p in params if p[0] != "limit")))


def _shown(link: str) -> str:
    return link if len(link) <= LINK_SHOWN_CHARS else link[:LINK_SHOWN_CHARS] + "…"


def _loop_error(message: str) -> AirbyteTracedException:
    return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.system_error)


class _Window:
    """What one window has requested and delivered."""

    def __init__(self, stream: str, primary_key: Any) -> None:
        self.stream = stream
        self.key_fields = _key_fields(primary_key)
        self.pages: Set[Tuple[Hashable, ...]] = set()
        self.record_keys: Set[Hashable] = set()

    def page_read(self, response: Any, records: List[Any]) -> None:
        request = getattr(response, "request", None)
        url = getattr(request, "url", None) or getattr(response, "url", "") or ""
        self.pages.add(page_identity(url))
        new = 0
        for record in records:
            key = self._key(record)
            if key not in self.record_keys:
                self.record_keys.add(key)
                new += 1
        if records and not new:
            raise _loop_error(REPEATED_RECORDS.format(stream=self.stream, link=_shown(url), count=len(records)))

    def follow(self, link: str) -> None:
        if page_identity(link) in self.pages:
            raise _loop_error(REPEATED_LINK.format(stream=self.stream, link=_shown(link)))

    def _key(self, record: Any) -> Hashable:
        data = getattr(record, "data", record)
        if self.key_fields:
            values = tuple(data.get(field) for field in self.key_fields)
            if None not in values:
                return values
        # No usable key: the record's whole content names it.
        return json.dumps(dict(data), sort_keys=True, default=str)


def _key_fields(primary_key: Any) -> Tuple[str, ...]:
    if isinstance(primary_key, str):
        return (primary_key,)
    if isinstance(primary_key, (list, tuple)):
        fields = []
        for part in primary_key:
            if isinstance(part, str):
                fields.append(part)
            elif isinstance(part, (list, tuple)) and len(part) == 1 and isinstance(part[0], str):
                fields.append(part[0])
            else:
                return ()
        return tuple(fields)
    return ()


class _StreamGate:
    """Lets a stream's first window ask alone, so a refused stream makes one refused request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._claimed = False
        self._answered = threading.Event()
        self.refusal: Optional[AirbyteTracedException] = None

    def enter(self) -> bool:
        """True for the window that asks first; the others wait for its first answer."""
        with self._lock:
            if not self._claimed:
                self._claimed = True
                return True
        self._answered.wait()
        return False

    def answered(self) -> None:
        self._answered.set()


def _is_refusal(error: AirbyteTracedException) -> bool:
    return error.failure_type == FailureType.config_error


class GuardedRetriever(SimpleRetriever):
    """A SimpleRetriever that remembers, per window, the pages it asked and the records they brought."""

    def _guard_state(self) -> Tuple[Dict[int, _Window], _StreamGate]:
        # One retriever serves every partition of a stream, and each source builds its own, so nothing leaks from
        # one sync (or one test) to the next. setdefault keeps the first of two threads that race here.
        state = self.__dict__.get("_personio_guard")
        if state is None:
            state = self.__dict__.setdefault("_personio_guard", ({}, _StreamGate()))
        return state

    def _read_pages(self, records_generator_fn: Callable[[Any], Iterable[Any]], stream_slice: Any) -> Iterable[Any]:
        windows, gate = self._guard_state()
        first = gate.enter()
        if gate.refusal is not None:
            refusal = gate.refusal  # a fresh exception per window: one object raised in many threads shares a traceback
            raise AirbyteTracedException(message=refusal.message, internal_message=refusal.internal_message,
                                         failure_type=refusal.failure_type)
        window = _Window(self.name, self.primary_key)
        windows[id(stream_slice)] = window

        def page_records(response: Any) -> Iterator[Any]:
            gate.answered()
            records = list(records_generator_fn(response))
            if response is not None:
                window.page_read(response, records)
            yield from records

        try:
            yield from super()._read_pages(page_records, stream_slice)
        except AirbyteTracedException as error:
            if first and _is_refusal(error) and not window.pages:
                gate.refusal = error
            raise
        finally:
            gate.answered()
            windows.pop(id(stream_slice), None)

    def _next_page_token(self, *args: Any, stream_slice: Any = None, **kwargs: Any) -> Optional[Mapping[str, Any]]:
        token = super()._next_page_token(*args, stream_slice=stream_slice, **kwargs)
        window = self._guard_state()[0].get(id(stream_slice))
        link = token.get("next_page_token") if isinstance(token, Mapping) else None
        if window is not None and isinstance(link, str) and link:
            window.follow(link)
        return token


def install(factory: ModelToComponentFactory) -> None:
    """Makes every plain SimpleRetriever that `factory`, and the factories it makes for parent streams (employments'
    persons list, breakdowns' absences), build a GuardedRetriever. Other factories build plain ones (factory_hooks.py).
    """
    hook(factory, SimpleRetrieverModel, "create_simple_retriever", "source_personio.pagination_guard", _guarded)


def _guarded(retriever: Any, _: Any) -> Any:
    if type(retriever) is SimpleRetriever:
        # The subclass adds methods only, so the instance the factory built is kept as it is.
        retriever.__class__ = GuardedRetriever
    return retriever
