"""Stream names: the emulator's key for an endpoint in settings.rate_limits, stats, faults,
unlicensed_modules and the company API, as the endpoint table (table.py) declares them."""
from .table import STREAMS

ALL_STREAMS = STREAMS
