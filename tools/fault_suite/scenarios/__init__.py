"""Every fault row, grouped by the kind of trouble: one module per kind, each with its `ROWS`.

A new row goes in the module of its kind (or a new module listed here); the table shows the rows in this
order. Interruption trials, bad configs and the secret rows have runners of their own (`interruptions.py`,
`bad_configs.py`, `secrets.py`).
"""
from tools.fault_suite.scenarios import (
    hostile_pages, links_and_loops, outages, refused_streams, reports, throttling, tokens, unsignalled_changes,
)
from tools.fault_suite.scenarios import deletions_and_transitions

SCENARIO_LIST = [
    *throttling.ROWS,
    *outages.ROWS,
    *tokens.ROWS,
    *unsignalled_changes.ROWS,
    *refused_streams.ROWS,
    *hostile_pages.ROWS,
    *links_and_loops.ROWS,
    *reports.ROWS,
    *deletions_and_transitions.ROWS,
]
SCENARIOS = {scenario.name: scenario for scenario in SCENARIO_LIST}
