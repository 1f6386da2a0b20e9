"""The synced tables join up: every reference between the streams resolves after a full sync and after an incremental
one, and the reference check names what does not."""


from integration_tests.syncs import ALL_STREAMS, destination_tables
from tools.catalogs import configured_catalog
from tools.demo.reference_check import REFERENCES, check as check_references, dangling
from tools.stream_facts import FACTS


def test_every_reference_resolves_after_a_full_sync_of_every_stream(full_refresh):
    results = check_references(full_refresh.result.records)

    assert [str(result.reference) for result in results if not result.checked] == []
    assert dangling(results) == {}
    assert [str(result.reference) for result in results if result.resolved == 0] == [], "references never used"


def test_the_reference_check_names_what_does_not_resolve(full_refresh):
    """The control for the test above: without one person and one project, what points at them dangles."""
    records = dict(full_refresh.result.records)
    person, project = records["persons"][0], next(
        p for p in records["projects"] if any((a.get("project") or {}).get("id") == p["id"]
                                              for a in records["attendance_periods"]))
    records["persons"] = records["persons"][1:]
    records["projects"] = [p for p in records["projects"] if p is not project]

    found = dangling(check_references(records))

    assert "employments.person.id -> persons" in found
    assert all(d.value == (person["id"],) for d in found["employments.person.id -> persons"])
    assert {d.value for d in found["attendance_periods.project.id -> projects"]} == {(project["id"],)}
    assert "compensations.type.id -> compensation_types" not in found


def test_references_match_org_units_on_type_and_id_and_ids_as_text():
    """A department and a team may share an id, so an org unit is found by both; an id sent as a number on one
    endpoint and as text on another still joins, as it does after a destination's cast."""
    records = {
        "org_units": [{"type": "department", "id": 7, "name": "Sales"},
                      {"type": "team", "id": "8", "parent": {"type": "department", "id": "7"}}],
        "employments": [{"id": "e1", "org_units": [{"type": "department", "id": "7"}, {"type": "team", "id": 8}]},
                        {"id": "e2", "org_units": [{"type": "team", "id": "7"}]}],
    }
    references = [reference for reference in REFERENCES if reference.target == "org_units"]

    results = {str(result.reference): result for result in check_references(records, references)}

    employments = results["employments.org_units[].(type, id) -> org_units"]
    assert employments.resolved == 2
    assert [(d.record, d.value) for d in employments.dangling] == [("e2", ("team", "7"))]
    assert results["org_units.parent.(type, id) -> org_units"].resolved == 1
    assert "1 DANGLING (e2 -> team/7)" in employments.line()


def test_a_reference_to_a_stream_not_synced_is_reported_as_not_checked():
    results = check_references({"employments": [{"id": "e1", "job": {"id": "1"}}]})

    jobs = next(result for result in results if str(result.reference) == "employments.job.id -> jobs")
    assert not jobs.checked and jobs.line() == "employments.job.id -> jobs: not checked (jobs not synced)"
    assert dangling(results) == {}


def test_the_reference_list_covers_every_stream_but_lists_nothing_points_at():
    """Every stream read in windows, per parent, by month or from a state is joined somewhere; a plain list may stand
    alone until a record points at it (a newcomer's list needs no line here); every stream named is declared."""
    covered = {reference.stream for reference in REFERENCES} | {reference.target for reference in REFERENCES}

    assert covered <= set(ALL_STREAMS)
    assert set(ALL_STREAMS) - set(FACTS.whole) - {"deletions"} <= covered  # what deletions names is gone


def test_references_resolve_in_the_tables_after_an_incremental_sync(incremental, discovered):
    """Created persons bring employments, changed absences new breakdown rows: the tables a destination holds
    after the first sync and an incremental one still join up."""
    tables = destination_tables(configured_catalog(discovered, "incremental"), incremental.first,
                                incremental.default_lookback)

    results = check_references(tables)

    assert dangling(results) == {}
    assert all(result.checked for result in results)
    created = {e["id"] for p in incremental.created["persons"] for e in incremental.emulator.company.employments(p)}
    assert created and created <= {e["id"] for e in tables["employments"]}
