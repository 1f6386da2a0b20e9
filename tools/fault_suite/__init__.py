"""The fault suite of source-personio (`make faults`, `python -m tools.fault_suite`), shared with integration_tests/.

Every scenario runs the installed `source-personio` as a subprocess against its own emulator
(tools/personio_emulator) with one kind of trouble injected, on the streams that trouble concerns
(`Scenario.streams`; the three windowed lists unless said otherwise), and judges what came out:

- records lost: emulator records (taken when the sync starts; keyed by each stream's primary key)
  missing from everything emitted. For a sync that fails, only records the emitted state claims are
  done count: every record of a stream that reported COMPLETE, else those whose cursor value lies
  before the stream's last emitted cursor. A scenario that resumes (`resume`) runs a second sync from
  the first one's state once the fault is gone: then every record must be in one of the two, and what
  changed in between (`between`) must be in the second;
- records duplicated: primary keys emitted more than once. Records within a second of a window edge are
  read by both windows on purpose (the manifest widens each window by a second), so only other
  duplicates are a problem;
- secret seen: whether the client secret, any access token the emulator issued (all are recorded), or
  anything shaped like a Personio token appears anywhere in stdout or stderr.

    from tools.fault_suite.suite import Suite
    suite = Suite()
    suite.start()
    suite.outcome("5xx burst on every endpoint").problems     # [] when it behaved as it must

Retries (manifest: max_retries 5, exponential factor 0.5): waits of 1, 2, 4, 8 and 16 s, each plus the
second the CDK adds, 36 s per request; each attempt may also wait the 20 s read timeout. A request that
exhausts its retries on 5xx, resets or timeouts stops the whole read at once (source.py raises
PersonioUnavailable, run.py prints the outage trace and exits 1 without waiting for requests in flight),
so a persistent fault ends the sync one request's retry budget after its first failing answer, however
many windows are left. Everything runs in real time by default; with `sleep_scale` > 1 those sleeps are
compressed inside the connector process and the real-time cost is estimated (wall time plus the sleep
the busiest thread skipped).

Where things are: `scenarios/` holds the rows, one module per kind of trouble (throttling, outages, tokens,
refused streams, unsignalled changes, hostile pages, links and loops, interruptions, bad configs, secrets);
`runner.py` runs one row, `judge.py` judges its syncs, `suite.py` runs every row in a thread pool,
`table.py` prints them; `settings.py`, `records.py`, `windows.py` and `observers.py` hold what they share.
"""
