"""The endpoint table: each entry is served as it says, and an endpoint is added with one entry and a generator
(the README's "Adding an endpoint"), which the example below does for a per-parent list."""
import pytest

from tools.personio_emulator import rate_limit, table
from tools.personio_emulator.pytest_plugin import make_personio_emulator, personio_emulator  # noqa: F401
from tools.personio_emulator.scopes import PERSONS_SCOPE
from tools.personio_emulator.table import ENDPOINTS, IDS, LIST_OF, Endpoint, Filter
from tools.personio_emulator.tests.helpers import get, ids, walk

HOOKS = {"w1": 5, "w2": 0}  # webhook id -> how many events it has


def events(view):
    """The example's generator: a webhook's events (every webhook's with parent None), None for an unknown one."""
    if view.parent is not None and view.parent not in HOOKS:
        return None
    hooks = [view.parent] if view.parent is not None else list(HOOKS)
    return [{"id": f"{hook}-{n}", "webhook": {"id": hook}, "kind": "created" if n % 2 else "updated"}
            for hook in hooks for n in range(HOOKS[hook])]


EXAMPLE = Endpoint("webhook_events", "/v2/example-webhooks/{parent}/events", "listed", scope=PERSONS_SCOPE,
                   parent="Webhook", max_limit=2, default_limit=2,
                   filters={"id": IDS, "kind": Filter("enum", "kind", allowed=("created", "updated"))},
                   records="tests.test_table:events", order="as made")

ONE = Endpoint("webhook_events", "/v2/example-webhooks/{parent}/events/{id}", "one_listed", scope=PERSONS_SCOPE,
               links="none", faults=False, records="tests.test_table:events")


@pytest.fixture
def added(monkeypatch, personio_emulator):
    """The emulator with EXAMPLE and ONE in its table: routed, and with the bucket every stream of the table gets."""
    added = [(table.path_pattern(e.path), e) for e in (ONE, EXAMPLE)]
    monkeypatch.setattr(table, "_TEMPLATES", table._TEMPLATES + added)
    monkeypatch.setitem(rate_limit.PERSONIO_LIKE_RATE_LIMITS, EXAMPLE.stream, (10.0, 10))
    return personio_emulator


def test_an_added_entry_is_served_paged_filtered_and_checked(added):
    # When the new per-parent list is read
    every = walk(added, "/v2/example-webhooks/w1/events")
    created = walk(added, "/v2/example-webhooks/w1/events", kind="created")
    # Then it pages (default limit 2) through every event, filters by the entry's filters, and refuses the rest
    assert ids(every) == [f"w1-{n}" for n in range(5)]
    assert ids(created) == ["w1-1", "w1-3"]
    assert walk(added, "/v2/example-webhooks/w2/events") == []
    assert get(added, "/v2/example-webhooks/nope/events").json()["errors"][0]["detail"] == "Webhook nope not found"
    assert get(added, "/v2/example-webhooks/w1/events", limit=3).status_code == 400
    assert get(added, "/v2/example-webhooks/w1/events", kind="deleted").status_code == 400
    assert added.stats.requests[EXAMPLE.stream] >= 5


def test_an_added_one_record_entry_serves_a_record_bare(added):
    one = get(added, "/v2/example-webhooks/w1/events/w1-3")
    assert one.status_code == 200 and one.json() == {"id": "w1-3", "webhook": {"id": "w1"}, "kind": "created"}
    assert get(added, "/v2/example-webhooks/w1/events/w9-9").status_code == 404
    assert get(added, "/v2/example-webhooks/w1/events/w1-3", limit=1).status_code == 400


def test_the_company_api_serves_every_stream_of_the_table(personio_emulator):
    company = personio_emulator.company
    for stream in LIST_OF:
        records = company.records(stream)
        assert records, stream
        assert company.size(stream) == len(records)
        first = company.ids(stream)[0]
        assert company.get(stream, first) is not None, stream


def test_every_list_declares_what_a_reader_needs():
    for endpoint in ENDPOINTS:
        if endpoint.method != "GET":
            continue
        assert endpoint.scope, endpoint.path
        if endpoint.one_record:
            assert endpoint.max_limit == 0 and not endpoint.faults, endpoint.path
            continue
        assert 1 <= endpoint.default_limit <= endpoint.max_limit, endpoint.path
        assert ("{parent}" in endpoint.path) == bool(endpoint.parent), endpoint.path
        assert set(endpoint.required) <= set(endpoint.filters), endpoint.path
        assert (endpoint.source == "listed") == bool(endpoint.records), endpoint.path
