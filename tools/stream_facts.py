"""Every fact about the streams that tools and tests need, read from source_personio/manifest.yaml: names, primary
keys, cursors, scopes, modules, kinds, parents, page sizes and windows. Nothing here names a stream: a stream added
to the manifest shows up in every tool and test that asks.

    from tools.stream_facts import FACTS
    FACTS.names                       # every stream, in the manifest's order
    FACTS["employments"].parent       # "persons"; .kind "per_parent", .scope, .primary_key, .cursor_field, …
    FACTS.of_kind("windowed")         # persons, absence_periods, attendance_periods, person_custom_attributes
    FACTS.required                    # what `check` requires (the manifest's check)
    StreamFacts.load(path)            # the facts of another manifest (a copy under test)

Kinds: "windowed" (windows of updated_at, `window_days` long by default, set by the config field `window_setting`),
"per_parent" (one request per record of `parent`), "monthly" (one window per calendar month), "open_ended" (one
window from the saved state to now) and "whole" (read whole on every sync, full refresh only).
"""
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

import yaml
from airbyte_cdk.sources.declarative.parsers.manifest_reference_resolver import ManifestReferenceResolver

REPO_ROOT = Path(__file__).resolve().parents[1]
MANIFEST_PATH = REPO_ROOT / "source_personio" / "manifest.yaml"
KINDS = ("windowed", "per_parent", "monthly", "open_ended", "whole")
# `P{{ (config.get('window_size_days') or 365) | int }}D`: the config field and its default
_WINDOW_STEP = re.compile(r"config\.get\('(?P<setting>\w+)'\)\s*or\s*(?P<days>\d+)")
_DEFAULT_WORKERS = re.compile(r"config\.get\('num_workers'\)\s*or\s*(?P<workers>\d+)")


@dataclass(frozen=True)
class Stream:
    """One stream of the manifest."""

    name: str
    kind: str  # one of KINDS
    endpoint: str  # below /v2/; a per-parent stream's part after the parent's id
    primary_key: Tuple[str, ...]
    cursor_field: Optional[str]  # None for a stream read whole
    scope: Optional[str]
    alternative_scope: Optional[str]  # a scope some accounts hold instead
    module: Optional[str]  # the separately licensed Personio module it needs, if any
    page_size: Optional[int]  # None: Personio's default page size
    parent: Optional[str]  # per-parent: the stream whose records it is read for
    parent_endpoint: Optional[str]
    window_days: Optional[int]  # windowed: the default window length
    window_setting: Optional[str]  # windowed: the config field that sets the window length
    required: bool  # `check` requires it
    properties: Tuple[str, ...]  # the top-level properties its schema declares
    filters: Tuple[str, ...]  # the query parameters its first requests filter with (`updated_at.gt`, …)
    partitions: Tuple[str, ...]  # the values a list partition router asks for in turn (org units: department, team)
    added_fields: Tuple[str, ...]  # the top-level fields its transformations add or rewrite (updated_at in UTC, …)

    @property
    def incremental(self) -> bool:
        return self.cursor_field is not None

    @property
    def strict_window(self) -> bool:
        """Whether its windows are asked with strict operators (updated_at.gt/lt) rather than inclusive ones."""
        return "updated_at.gt" in self.filters


class StreamFacts:
    """The streams of one manifest, in its order; `facts[name]` is one stream."""

    def __init__(self, manifest: Mapping[str, Any]):
        self.manifest = manifest
        resolved = ManifestReferenceResolver().preprocess_manifest(dict(manifest))
        self.streams: Dict[str, Stream] = {}
        for declared in resolved["streams"]:
            stream = _stream(declared, resolved)
            if stream.name in self.streams:
                raise ValueError(f"the stream name {stream.name} repeats in the manifest")
            self.streams[stream.name] = stream
        workers = _DEFAULT_WORKERS.search(str((resolved.get("concurrency_level") or {}).get("default_concurrency")))
        self.default_workers = int(workers.group("workers")) if workers else None

    @classmethod
    def load(cls, path: Path = MANIFEST_PATH) -> "StreamFacts":
        return cls(yaml.safe_load(Path(path).read_text()))

    def __getitem__(self, name: str) -> Stream:
        return self.streams[name]

    def __contains__(self, name: object) -> bool:
        return name in self.streams

    def __iter__(self) -> Iterator[Stream]:
        return iter(self.streams.values())

    @property
    def names(self) -> Tuple[str, ...]:
        return tuple(self.streams)

    @property
    def required(self) -> Tuple[str, ...]:
        return tuple(s.name for s in self if s.required)

    @property
    def incremental(self) -> Tuple[str, ...]:
        return tuple(s.name for s in self if s.incremental)

    @property
    def windowed_lists(self) -> Tuple[str, ...]:
        """The windowed streams with an endpoint of their own (not those read from another's pages)."""
        return tuple(name for name in self.of_kind("windowed") if name in self.endpoints)

    def window_days(self, name: str, config: Mapping[str, Any]) -> int:
        """The length of a windowed stream's windows under `config` (its own setting, else the manifest's default)."""
        stream = self[self.window_parent(name) or name]
        if stream.window_days is None:
            raise ValueError(f"{name} is not read in windows of days")
        return int(config.get(stream.window_setting) or stream.window_days)

    @property
    def whole(self) -> Tuple[str, ...]:
        """The streams read whole on every sync (full refresh only)."""
        return self.of_kind("whole")

    def of_kind(self, *kinds: str) -> Tuple[str, ...]:
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"no kind {sorted(unknown)}; the kinds are {KINDS}")
        return tuple(s.name for s in self if s.kind in kinds)

    def needing_module(self, module: Optional[str] = None) -> Tuple[str, ...]:
        """The streams that need a separately licensed module (that one, with `module`)."""
        return tuple(s.name for s in self if s.module and (module is None or s.module == module))

    def with_scope(self, scope: str) -> Tuple[str, ...]:
        return tuple(s.name for s in self if s.scope == scope)

    @property
    def scopes(self) -> Dict[str, str]:
        return {s.name: s.scope for s in self if s.scope}

    @property
    def primary_keys(self) -> Dict[str, Tuple[str, ...]]:
        return {s.name: s.primary_key for s in self}

    @property
    def cursor_fields(self) -> Dict[str, str]:
        """Each incremental stream's cursor field (streams read whole have none)."""
        return {s.name: s.cursor_field for s in self if s.cursor_field}

    @property
    def endpoints(self) -> Tuple[str, ...]:
        """The streams with an endpoint of their own: all but those read from another stream's pages (custom
        attributes come from the persons pages)."""
        seen, names = set(), []
        for s in self:
            endpoint = (s.parent_endpoint, s.endpoint)
            if endpoint not in seen:
                seen.add(endpoint)
                names.append(s.name)
        return tuple(names)

    def window_parent(self, name: str) -> Optional[str]:
        """The windowed stream whose windows `name`'s records follow: its own, or its parent's."""
        stream = self[name]
        if stream.kind == "windowed":
            return next(s.name for s in self if s.kind == "windowed" and s.endpoint == stream.endpoint)
        if stream.kind == "per_parent" and stream.parent in self and self[stream.parent].kind == "windowed":
            return stream.parent if self[stream.parent].incremental and _follows_parent_windows(self.manifest, name) else None
        return None

    def key_of(self, name: str, record: Mapping[str, Any]) -> Any:
        """A record's primary key: its one field's value, or a tuple for a composite key."""
        key = self[name].primary_key
        return record.get(key[0]) if len(key) == 1 else tuple(record.get(field) for field in key)

    def partitioned_by_an_unwindowed_parent(self) -> Tuple[str, ...]:
        """Incremental streams read once per record of a parent stream that is read whole (no date filter), e.g.
        employments per person: their partitions ignore the start date, their records do not."""
        return tuple(s.name for s in self if s.kind == "per_parent" and s.incremental and not _parent_incremental(
            self.manifest, s.name))


def _stream(declared: Mapping[str, Any], manifest: Mapping[str, Any]) -> Stream:
    retriever = declared.get("retriever") or {}
    parameters = {**(retriever.get("$parameters") or {}), **(declared.get("$parameters") or {})}
    name = declared.get("name") or parameters.get("name")
    if not name:
        raise ValueError(f"a stream of the manifest has no name: {sorted(declared)}")
    incremental = declared.get("incremental_sync") or {}
    routers = retriever.get("partition_router") or []
    routers = routers if isinstance(routers, list) else [routers]
    parents = [config.get("stream") or {} for router in routers if router.get("type") == "SubstreamPartitionRouter"
               for config in router.get("parent_stream_configs") or []]
    step = str(incremental.get("step") or "")
    window = _WINDOW_STEP.search(step)
    if parents:
        kind = "per_parent"
    elif not incremental:
        kind = "whole"
    elif step == "P1M":
        kind = "monthly"
    elif window:
        kind = "windowed"
    else:
        kind = "open_ended"
    parent = None
    if parents:
        parent_parameters = parents[0].get("$parameters") or {}
        parent = parent_parameters.get("name") or parents[0].get("name")
    page_size = parameters.get("page_size")
    requester = retriever.get("requester") or {}
    filters = tuple(sorted(name for name in (requester.get("request_parameters") or {}) if name.startswith("updated_at")))
    partitions = tuple(value for router in routers if router.get("type") == "ListPartitionRouter"
                       for value in router.get("values") or [])
    added = tuple(definition["path"][0] for transformation in declared.get("transformations") or []
                  if transformation.get("type") == "AddFields" for definition in transformation.get("fields") or []
                  if definition.get("path"))
    schema = ((declared.get("schema_loader") or {}).get("schema") or {}).get("properties") or {}
    return Stream(
        name=name, kind=kind, endpoint=parameters.get("endpoint") or name,
        primary_key=_key_fields(declared.get("primary_key") or [], name),
        cursor_field=incremental.get("cursor_field"), scope=parameters.get("scope"),
        alternative_scope=parameters.get("alternative_scope"), module=parameters.get("module"),
        page_size=int(page_size) if page_size is not None else None, parent=parent,
        parent_endpoint=parameters.get("parent_endpoint"),
        window_days=int(window.group("days")) if kind == "windowed" else None,
        window_setting=window.group("setting") if kind == "windowed" else None,
        required=name in ((manifest.get("check") or {}).get("stream_names") or []),
        properties=tuple(sorted(schema)), filters=filters, partitions=partitions,
        added_fields=added,
    )


def _key_fields(key: Any, name: str) -> Tuple[str, ...]:
    """The primary key as top-level field names (the manifest allows a name, a list, or a list of paths)."""
    if isinstance(key, str):
        key = [key]
    fields = []
    for part in key:
        if isinstance(part, list):
            if len(part) != 1:
                raise ValueError(f"{name}: nested primary key {key}")
            part = part[0]
        fields.append(part)
    return tuple(fields)


def _parent_config(manifest: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    resolved = ManifestReferenceResolver().preprocess_manifest(dict(manifest))
    for declared in resolved["streams"]:
        parameters = {**((declared.get("retriever") or {}).get("$parameters") or {}), **(declared.get("$parameters") or {})}
        if (declared.get("name") or parameters.get("name")) == name:
            router = (declared.get("retriever") or {}).get("partition_router") or {}
            for router in router if isinstance(router, list) else [router]:
                for config in router.get("parent_stream_configs") or []:
                    return config
    return {}


def _parent_incremental(manifest: Mapping[str, Any], name: str) -> bool:
    return bool((_parent_config(manifest, name).get("stream") or {}).get("incremental_sync"))


def _follows_parent_windows(manifest: Mapping[str, Any], name: str) -> bool:
    """Whether a per-parent stream asks only the parents of the parent's windows (incremental_dependency)."""
    config = _parent_config(manifest, name)
    return bool(config.get("incremental_dependency")) and _parent_incremental(manifest, name)


@lru_cache(maxsize=None)
def _facts(path: str) -> StreamFacts:
    return StreamFacts.load(Path(path))


FACTS = _facts(str(MANIFEST_PATH))


# -- the helpers the tests used before, kept as short names over FACTS -----------------------------------------

def load_manifest() -> Dict[str, Any]:
    """The manifest as the YAML document holds it, references unresolved (as the Builder UI sends it)."""
    return yaml.safe_load(MANIFEST_PATH.read_text())


def declared_streams() -> List[str]:
    return list(FACTS.names)


def primary_keys() -> Dict[str, Tuple[str, ...]]:
    return FACTS.primary_keys


def cursor_fields() -> Dict[str, str]:
    return FACTS.cursor_fields


def schema_properties() -> Dict[str, List[str]]:
    """The top-level properties each stream's inline schema declares."""
    return {s.name: list(s.properties) for s in FACTS}


def partitioned_by_an_unwindowed_parent() -> List[str]:
    return list(FACTS.partitioned_by_an_unwindowed_parent())
