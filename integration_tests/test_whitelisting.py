"""A credential that sees no person attribute still syncs persons."""


from integration_tests.syncs import assert_succeeded


def test_persons_sync_when_the_credential_whitelists_no_attribute(whitelisting_emulator, persons_without_attributes):
    run = persons_without_attributes
    assert_succeeded(run)

    assert run.ids("persons") == set(whitelisting_emulator.company.ids("persons"))
    for record in run.records("persons"):
        assert set(record) <= {"id", "employments", "_meta", "updated_at"}
        assert record.get("updated_at") is None
        assert record["employments"] and record["_meta"]
