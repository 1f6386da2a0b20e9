"""`make demo` on a small company: it syncs every stream, every reference resolves, every query is answered."""

import duckdb

from integration_tests.syncs import ALL_STREAMS, CURSORS
from tools.demo import analytics
from tools.demo.reference_check import REFERENCES


def test_make_demo_syncs_every_stream_joins_them_and_answers_the_questions(tmp_path, capsys):
    """`make demo` on a small company: both reads cover every stream, the summary lists each, every reference
    resolves, and the answers of every query in tools/demo/analytics.sql are printed from the DuckDB file it writes."""
    from tools.demo import sync_and_answer as demo

    code = demo.main(["--emulator", "--persons", "30", "--absence-periods", "60", "--attendance-periods", "400",
                      "--output", str(tmp_path)])

    printed = capsys.readouterr().out
    assert code == 0, printed[-4000:]
    for stream in ALL_STREAMS:
        assert (tmp_path / f"{stream}.jsonl").stat().st_size > 0, f"the full read wrote no {stream}"
        assert (tmp_path / "incremental" / f"{stream}.jsonl").exists()
        mode = "incr." if CURSORS[stream] else "full"
        assert f"{stream} ({mode})" in printed, f"{stream} is missing from the summary"
    assert printed.count("references resolved") == len(REFERENCES), printed
    assert "DANGLING" not in printed and "PROBLEM" not in printed
    for query in analytics.queries():
        assert query.title in printed
    with duckdb.connect(str(tmp_path / demo.DATABASE), read_only=True) as connection:
        tables = {row[0] for row in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert tables == set(ALL_STREAMS)
