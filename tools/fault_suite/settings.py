"""The fault suite's company, windows, budgets and time bounds."""
from typing import Any, Dict

from tools.stream_facts import FACTS

# The windowed lists: what a scenario reads unless it names its streams.
STREAMS = FACTS.windowed_lists

# Several pages per window and several windows per stream, small enough for a sync in seconds. The data
# span 2021-01-01 to yesterday, so 180-day windows give a dozen windows per period stream and 365-day
# windows six for persons.
COMPANY = {"seed": 7, "persons": 50, "absence_periods": 300, "attendance_periods": 900}
WINDOWS = {"start_date": "2021-01-01T00:00:00Z", "window_size_days": 180, "persons_window_size_days": 365,
           "lookback_window_hours": 24}
# The manifest's own window sizes (365 days, persons 3650): a None removes the field WINDOWS sets, and
# num_workers, left out of configs, is the manifest's default (10) too.
DEFAULT_WINDOWS = {"window_size_days": None, "persons_window_size_days": None}
DEFAULT_NUM_WORKERS = FACTS.default_workers
# Where rate limiting is not under test: the per-parent and other budgets (10/s by default) would make a
# 50-person company's employments, breakdowns and 70 months of compensations cost half a minute a sync.
FAST_BUDGETS = {"per_parent_requests_per_second": 100, "other_requests_per_second": 100}
# The connector's retry budget for one request (manifest: max_retries 5, exponential factor 0.5): waits
# of 0.5*2^k s for k = 1..5 (1, 2, 4, 8, 16), each plus the second the CDK adds, 36 s in all.
MAX_RETRIES = 5
BACKOFF_FACTOR = 0.5
RETRY_BUDGET_SECONDS = int(sum(BACKOFF_FACTOR * 2 ** k + 1 for k in range(1, MAX_RETRIES + 1)))
# The requester's connect and read timeouts: a server silent for longer is given up on, and the request retried.
READ_TIMEOUT_SECONDS = 20
# Between the first failing answer of an outage and the end of the sync, at the default settings.
OUTAGE_LIMIT_SECONDS = 180
# Beyond the backoff, between its first failing answer and its end a failing sync spends a little time
# on the failing requests themselves and on ending the process: a few seconds, up to 20 with six syncs
# sharing a loaded machine.
SLACK_SECONDS = 30

# Streams whose records come in windows of updated_at, and whose windows they follow (duplicates within a
# second of a window edge are expected there).
WINDOWED = {name: FACTS.window_parent(name) for name in FACTS.names if FACTS.window_parent(name)}

Message = Dict[str, Any]
