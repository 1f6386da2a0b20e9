"""Stream names: the emulator's key for an endpoint in settings.rate_limits, stats, faults,
unlicensed_modules and the company API, as the endpoint table (table.py) declares them."""
from .table import STREAMS

ALL_STREAMS = STREAMS
# The Report API's endpoints serve the connector's report streams, which exist per report (dynamic streams);
# every other endpoint is behind one of the connector's declared streams, under its name.
REPORT_ENDPOINTS = ("reports", "report_rows")
DECLARED_STREAM_ENDPOINTS = tuple(stream for stream in STREAMS if stream not in REPORT_ENDPOINTS)
