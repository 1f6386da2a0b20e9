"""The demo (`make demo`): `sync_and_answer.py` syncs every stream in full and then incrementally,
`reference_check.py` checks that the synced tables join up, `analytics.py` loads them into DuckDB and answers
the questions in `analytics.sql`."""
